// The seam's fetch names us on every outbound call (Workers' fetch sends no User-Agent, and
// services behind Cloudflare refuse such requests): against a recorder and the demo panel, which
// refuses a request without one as Cloudflare in front of a panel does.
import { describe, expect, inject, it } from "vitest";
import { version } from "../../package.json";
import { testDeps } from "../../test/helpers.ts";
import { USER_AGENT } from "./deps.ts";

function recorder() {
  const seen: Headers[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push(new Request(input, init).headers);
    return new Response("ok");
  };
  return { seen, fetchImpl };
}

describe("deps.fetch", () => {
  it("adds User-Agent nodebyte-edge-api/<package version> unless the caller set one", async () => {
    expect(USER_AGENT).toBe(`nodebyte-edge-api/${version}`);
    const { seen, fetchImpl } = recorder();
    const deps = testDeps({ fetch: fetchImpl });
    await deps.fetch("https://a.test/", { headers: { "content-type": "application/json" } });
    await deps.fetch(new Request("https://b.test/", { headers: { authorization: "Bearer x" } }));
    await deps.fetch("https://c.test/", { headers: { "User-Agent": "caller/2" } });
    expect(seen.map((h) => h.get("user-agent"))).toEqual([USER_AGENT, USER_AGENT, "caller/2"]);
    expect(seen[0]?.get("content-type")).toBe("application/json");
    expect(seen[1]?.get("authorization")).toBe("Bearer x");
  });

  it("gets past the demo panel, which refuses the runtime's bare fetch (403, error 1010)", async () => {
    const url = `${inject("panelUrl")}/api/application/locations`;
    const headers = { authorization: `Bearer ${inject("panelApplicationKey")}`, accept: "application/json" };
    const bare = await fetch(url, { headers });
    expect(bare.status).toBe(403);
    expect(await bare.text()).toContain("1010");
    const ours = await testDeps().fetch(url, { headers });
    expect(ours.status).toBe(200);
  });
});
