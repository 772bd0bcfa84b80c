// The Hytale peer client against the local fakes' fault paths: transport failures map to
// 502/504/429 (retryable, Retry-After kept), RFC 8628 defaults apply to missing fields, and the
// account-data fake's own limiter answers 429 with Retry-After when hammered.
import { describe, expect, it } from "vitest";
import { testDeps } from "../../../test/helpers.ts";
import { accountDataUrl, fake, oauthUrl } from "../../../test/hytale.ts";
import { AppError } from "../../platform/errors.ts";
import { fetchProfiles, parseDeviceAuthorization, refreshTokens, requestDeviceCode } from "./oauth-client.ts";

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe("oauth client", () => {
  it("maps 5xx to UPSTREAM_ERROR with Retry-After, a timeout to UPSTREAM_TIMEOUT (504)", async () => {
    const e503 = await failure(requestDeviceCode(testDeps(), { baseUrl: `${oauthUrl()}/__fault/503` }));
    expect(e503).toMatchObject({ code: "UPSTREAM_ERROR", status: 502, retryable: true });
    expect(e503.headers["Retry-After"]).toBe("7");
    const slow = await failure(
      requestDeviceCode(testDeps(), { baseUrl: `${oauthUrl()}/__fault/slow`, timeoutMs: 300 }),
    );
    expect(slow).toMatchObject({ code: "UPSTREAM_TIMEOUT", status: 504, retryable: true });
    const limited = await failure(refreshTokens(testDeps(), "x", { baseUrl: `${oauthUrl()}/__fault/429` }));
    expect(limited).toMatchObject({ code: "RATE_LIMITED", retryable: true });
  });

  it("returns OAuth errors as values, and a 401 as one the grant owner must act on", async () => {
    const r = await refreshTokens(testDeps(), "not-a-token");
    expect(r).toMatchObject({ ok: false, error: "invalid_grant" });
    const unauthorized = await refreshTokens(testDeps(), "x", { baseUrl: `${oauthUrl()}/__fault/401` });
    expect(unauthorized).toMatchObject({ ok: false, status: 401 });
  });

  it("applies RFC 8628 defaults: interval 5 s and a 600 s lifetime when absent", () => {
    const d = parseDeviceAuthorization({
      device_code: "d",
      user_code: "U",
      verification_uri: "https://x/verify",
    });
    expect(d).toMatchObject({ interval: 5, expires_in: 600 });
    expect(d.verification_uri_complete).toBeUndefined();
    expect(
      parseDeviceAuthorization({
        device_code: "d",
        user_code: "U",
        verification_uri: "v",
        interval: 0,
        expires_in: "x",
      }),
    ).toMatchObject({ interval: 5, expires_in: 600 });
  });

  it("profiles: 401 for a bad access token, 5xx → 502, 429 → RATE_LIMITED with Retry-After", async () => {
    expect(await fetchProfiles(testDeps(), "bogus")).toEqual({ ok: false, status: 401 });
    expect(
      await failure(fetchProfiles(testDeps(), "t", { baseUrl: `${accountDataUrl()}/__fault/500` })),
    ).toMatchObject({ code: "UPSTREAM_ERROR" });
    const limited = await failure(
      fetchProfiles(testDeps(), "t", { baseUrl: `${accountDataUrl()}/__fault/429` }),
    );
    expect(limited).toMatchObject({ code: "RATE_LIMITED" });
    expect(limited.headers["Retry-After"]).toBe("13");
  });

  it("the account-data fake limits hammering with 429 and Retry-After", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`${accountDataUrl()}/my-account/get-profiles`, {
          // A client of its own: the Worker's window, which the other suites use, stays untouched.
          headers: { authorization: "Bearer x", "user-agent": "t", "x-fake-client": "hammer" },
        }),
      ),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThan(0);
    await fake("/__stats");
  });
});
