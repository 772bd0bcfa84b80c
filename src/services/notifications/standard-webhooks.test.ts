// The signer against an independent verifier (node:crypto in the fake receiver's module would
// not load in workerd, so the check here recomputes the HMAC with Web Crypto from the spec's
// definition), and the endpoint-URL rule as production applies it.
import { describe, expect, it } from "vitest";
import {
  endpointUrlProblem,
  isSigningSecret,
  newSigningSecret,
  sign,
  signedHeaders,
} from "./standard-webhooks.ts";

describe("Standard Webhooks signing", () => {
  it("makes whsec_ secrets of 32 random bytes", () => {
    const a = newSigningSecret();
    expect(isSigningSecret(a)).toBe(true);
    expect(atob(a.slice(6))).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(a);
  });

  it("signs id.timestamp.body with the decoded key, one v1 signature per live secret", async () => {
    const secret = newSigningSecret();
    const body = '{"type":"x","data":{"é":"\\u0000"}}';
    const sig = await sign(secret, "msg_1", 1700000000, body);
    const key = await crypto.subtle.importKey(
      "raw",
      Uint8Array.from(atob(secret.slice(6)), (ch) => ch.charCodeAt(0)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const raw = Uint8Array.from(atob(sig.slice(3)), (ch) => ch.charCodeAt(0));
    expect(sig.startsWith("v1,")).toBe(true);
    expect(
      await crypto.subtle.verify("HMAC", key, raw, new TextEncoder().encode(`msg_1.1700000000.${body}`)),
    ).toBe(true);
    expect(await sign(secret, "msg_1", 1700000001, body)).not.toBe(sig);
    const headers = await signedHeaders([secret, newSigningSecret()], "msg_1", 1700000000, body);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(headers["webhook-signature"]?.split(" ")[0]).toBe(sig);
    expect(headers["webhook-timestamp"]).toBe("1700000000");
  });

  it("accepts only https on public hosts in production, and loopback http elsewhere", () => {
    const prod = (u: string) => endpointUrlProblem(u, true);
    expect(prod("https://hooks.example.com/nodebyte")).toBeUndefined();
    expect(prod("https://93.184.216.34/x")).toBeUndefined();
    for (const bad of [
      "http://hooks.example.com/x",
      "http://127.0.0.1:9000/x",
      "https://localhost/x",
      "https://127.0.0.1/x",
      "https://10.1.2.3/x",
      "https://192.168.0.10/x",
      "https://172.20.0.1/x",
      "https://169.254.169.254/latest",
      "https://100.64.0.1/x",
      "https://[::1]/x",
      "https://intranet/x",
      "https://db.internal/x",
      "https://printer.local/x",
      "https://a:b@hooks.example.com/x",
      "https://hooks.example.com/x#frag",
      "gopher://hooks.example.com/",
    ])
      expect(prod(bad), bad).toBeDefined();
    expect(endpointUrlProblem("http://127.0.0.1:9000/x", false)).toBeUndefined();
    expect(endpointUrlProblem("http://10.0.0.1/x", false)).toBeDefined();
  });
});
