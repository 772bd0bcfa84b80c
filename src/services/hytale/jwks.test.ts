// The Hytale JWT verifier against the fake's JWKS: EdDSA only, kid required, exp with skew,
// future iat refused, aud as a string or an array, key rotation, and the refetch throttle.
import { beforeEach, describe, expect, it } from "vitest";
import { testDeps } from "../../../test/helpers.ts";
import { fake, oauthUrl } from "../../../test/hytale.ts";
import { AppError } from "../../platform/errors.ts";
import { forgetJwks, JWKS_MIN_REFETCH_MS, verifyHytaleToken } from "./jwks.ts";

let clock = Date.now();
let jwksFetches = 0;
const deps = () =>
  testDeps({
    now: () => new Date(clock),
    fetch: (input, init) => {
      if (String(input).endsWith("/.well-known/jwks.json")) jwksFetches++;
      return fetch(input, init);
    },
  });
const jwksUrl = () => `${oauthUrl()}/.well-known/jwks.json`;
const nowS = () => Math.floor(clock / 1000);

async function sign(claims: Record<string, unknown>, kid?: string | null) {
  return (await fake<{ token: string; kid: string }>("/__sign", { claims, kid })).token;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("UNAUTHORIZED");
  return (err as AppError).message;
}

beforeEach(() => {
  forgetJwks();
  clock = Date.now();
  jwksFetches = 0;
});

describe("verifyHytaleToken", () => {
  it("accepts aud as a plain string and as an array, and returns the claims", async () => {
    const single = await sign({ sub: "u1", aud: "hytale-server", exp: nowS() + 600, iat: nowS() });
    const claims = await verifyHytaleToken(deps(), single, { jwksUrl: jwksUrl(), audience: "hytale-server" });
    expect(claims.sub).toBe("u1");
    const list = await sign({ sub: "u2", aud: ["x", "hytale-server"], exp: nowS() + 600 });
    expect(
      (await verifyHytaleToken(deps(), list, { jwksUrl: jwksUrl(), audience: "hytale-server" })).sub,
    ).toBe("u2");
    expect(await refusal(verifyHytaleToken(deps(), list, { jwksUrl: jwksUrl(), audience: "other" }))).toMatch(
      /aud/,
    );
    expect(jwksFetches).toBe(1);
  });

  it("refuses a missing kid, a non-EdDSA algorithm, garbage, and a missing exp", async () => {
    expect(
      await refusal(
        verifyHytaleToken(deps(), await sign({ sub: "a", exp: nowS() + 60 }, null), { jwksUrl: jwksUrl() }),
      ),
    ).toMatch(/kid/);
    const b64 = (v: object) =>
      btoa(JSON.stringify(v)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
    const hs = `${b64({ alg: "HS256", kid: "k" })}.${b64({ sub: "a", exp: nowS() + 60 })}.c2ln`;
    expect(await refusal(verifyHytaleToken(deps(), hs, { jwksUrl: jwksUrl() }))).toMatch(/EdDSA/);
    const none = `${b64({ alg: "none", kid: "k" })}.${b64({ sub: "a", exp: nowS() + 60 })}.`;
    expect(await refusal(verifyHytaleToken(deps(), none, { jwksUrl: jwksUrl() }))).toMatch(/EdDSA/);
    expect(await refusal(verifyHytaleToken(deps(), "not-a-jwt", { jwksUrl: jwksUrl() }))).toMatch(/JWT/);
    expect(
      await refusal(verifyHytaleToken(deps(), await sign({ sub: "a" }), { jwksUrl: jwksUrl() })),
    ).toMatch(/exp/);
  });

  it("allows a small exp skew, refuses beyond it, and refuses iat in the future", async () => {
    const justExpired = await sign({ sub: "a", exp: nowS() - 10 });
    expect((await verifyHytaleToken(deps(), justExpired, { jwksUrl: jwksUrl() })).sub).toBe("a");
    expect(
      await refusal(
        verifyHytaleToken(deps(), await sign({ sub: "a", exp: nowS() - 120 }), { jwksUrl: jwksUrl() }),
      ),
    ).toMatch(/exp/);
    const future = await sign({ sub: "a", exp: nowS() + 3600, iat: nowS() + 600 });
    expect(await refusal(verifyHytaleToken(deps(), future, { jwksUrl: jwksUrl() }))).toMatch(/future|iat/);
  });

  it("refuses a token whose signature does not match", async () => {
    const good = await sign({ sub: "a", exp: nowS() + 600 });
    const [h, p] = good.split(".");
    const forged = `${h}.${p}.${"A".repeat(86)}`;
    expect(await refusal(verifyHytaleToken(deps(), forged, { jwksUrl: jwksUrl() }))).toMatch(/signature/);
  });

  it("follows a key rotation, and throttles refetches for unknown kids", async () => {
    await verifyHytaleToken(deps(), await sign({ sub: "a", exp: nowS() + 600 }), { jwksUrl: jwksUrl() });
    expect(jwksFetches).toBe(1);
    // Spraying unknown kids: no fetch per token inside the throttle window.
    for (let i = 0; i < 5; i++) {
      const t = await sign({ sub: "a", exp: nowS() + 600 }, `unknown-${i}`);
      await refusal(verifyHytaleToken(deps(), t, { jwksUrl: jwksUrl() }));
    }
    expect(jwksFetches).toBe(1);
    await fake("/__rotate-keys", {});
    const rotated = await sign({ sub: "b", exp: nowS() + 600 });
    await refusal(verifyHytaleToken(deps(), rotated, { jwksUrl: jwksUrl() }));
    expect(jwksFetches).toBe(1);
    clock += JWKS_MIN_REFETCH_MS + 1000;
    expect((await verifyHytaleToken(deps(), rotated, { jwksUrl: jwksUrl() })).sub).toBe("b");
    expect(jwksFetches).toBe(2);
  });
});
