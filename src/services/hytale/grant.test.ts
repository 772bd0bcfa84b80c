// The HytaleGrant object as the single writer (concurrent refreshes from routes, the cron and a
// redelivered batch against the local peer, which revokes the grant on refresh-token reuse) and
// the scheduled refresh through the Worker's scheduled() handler.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventually, jobMessage, testDb, testDeps, uid } from "../../../test/helpers.ts";
import { fake, post, seedMirroredGrant, tokenRow } from "../../../test/hytale.ts";
import { createTestUser } from "../../../test/users.ts";
import { hytaleJobs } from "../../areas/hytale/hytale.jobs.ts";
import { hytaleOauthTokens } from "../../platform/db/schema/index.ts";
import { SYSTEM_ACTOR } from "../../platform/principal.ts";
import type { HytaleGrant } from "./grant.do.ts";
import { adoptGrant, GRANT_SHARDS, grantShardName, grantStub } from "./grant-client.ts";
import { nextVersion, recordFromRow, refreshTokenHash, seal } from "./grant-record.ts";
import { refreshTokens } from "./oauth-client.ts";

const HOUR = 3_600_000;

describe("the local peer catches a race", () => {
  it("revokes the whole grant when one refresh token is presented twice (negative control)", async () => {
    const seeded = await fake<{ sub: string; refresh_token: string }>("/__seed-grant", { sub: uid("race") });
    const deps = testDeps();
    const [a, b] = await Promise.all([
      refreshTokens(deps, seeded.refresh_token),
      refreshTokens(deps, seeded.refresh_token),
    ]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    expect(await fake(`/__grants/${seeded.sub}`)).toMatchObject({ revoked: true });
  });
});

describe("HytaleGrant: one writer per account", () => {
  it("serialises concurrent refreshes from a route, the cron and a redelivered batch: no reuse, no revocation", async () => {
    const accountId = uid("acct");
    const { sub } = await seedMirroredGrant(accountId, { expiresInMs: 60_000 });
    const stub = grantStub(testDeps(), accountId);
    const row = await tokenRow(accountId);
    if (!row) throw new Error("no row");
    // A slow peer (1.5 s): every other call arrives while the first refresh is in flight.
    await fake("/__slow-refresh", { sub, ms: 1500 });
    const calls = [
      stub.access({ accountId, actor: SYSTEM_ACTOR, force: true, withToken: true }),
      stub.access({ accountId, actor: SYSTEM_ACTOR, force: true, withToken: true }),
      stub.access({ accountId, actor: SYSTEM_ACTOR, minValidMs: 10 * 60_000 }),
      stub.access({ accountId, actor: SYSTEM_ACTOR, minValidMs: 10 * 60_000 }),
      stub.profiles({ accountId, actor: SYSTEM_ACTOR }),
      hytaleJobs["hytale.refresh-batch"]?.(
        { accountIds: [accountId] },
        testDeps({ message: jobMessage("hytale.refresh-batch") }),
      ),
      hytaleJobs["hytale.refresh-batch"]?.(
        { accountIds: [accountId] },
        testDeps({ message: jobMessage("hytale.refresh-batch") }),
      ),
    ];
    const results = await Promise.all(calls);
    for (const r of results.slice(0, 5)) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    const grant = await fake<{ revoked: boolean; refreshes: number }>(`/__grants/${sub}`);
    expect(grant.revoked).toBe(false);
    expect(grant.refreshes).toBe(1);
    const after = await tokenRow(accountId);
    expect(after?.accessTokenExpiry.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);

    // Sequential forced refreshes each rotate, and the chain stays valid.
    for (let i = 0; i < 3; i++)
      expect(await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true })).toMatchObject({
        ok: true,
        refreshed: true,
      });
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 4 });
    expect((await tokenRow(accountId))?.grantVersion).toBeGreaterThan(after?.grantVersion ?? 0);
  });

  it("keeps the object's copy authoritative: a stale mirror snapshot is never presented", async () => {
    const accountId = uid("acct");
    const { sub } = await seedMirroredGrant(accountId);
    const stale = await tokenRow(accountId);
    const stub = grantStub(testDeps(), accountId);
    expect(await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true })).toMatchObject({ ok: true });
    // A batch that read the row before that refresh hands the object the old refresh token.
    if (!stale) throw new Error("no row");
    const { mirrored: _, ...snapshot } = recordFromRow(stale);
    expect(await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true, snapshot })).toMatchObject({
      ok: true,
      refreshed: true,
    });
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false });
  });
});

describe("a refresh answered after our patience ran out", () => {
  it("keeps the rotated token: the late answer is stored and the retry presents no old token", async () => {
    const accountId = uid("late");
    const { sub } = await seedMirroredGrant(accountId, { expiresInMs: 60_000 });
    const stub = grantStub(testDeps(), accountId);
    // The peer rotates at once but answers after 11 s: later than a caller waits (10 s).
    await fake("/__slow-refresh", { sub, ms: 11_000 });
    const first = await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true });
    // The caller may give up (504) — but the refresh it started must not be lost.
    if (!first.ok) expect(first).toMatchObject({ kind: "upstream", code: "UPSTREAM_TIMEOUT" });
    // The queue's retry of the same account arrives while (or after) the late answer lands.
    await hytaleJobs["hytale.refresh-batch"]?.(
      { accountIds: [accountId] },
      testDeps({ message: jobMessage("hytale.refresh-batch") }),
    );
    const grant = await fake<{ revoked: boolean; refreshes: number }>(`/__grants/${sub}`);
    expect(grant.revoked).toBe(false);
    expect(grant.refreshes).toBe(1);
    const row = await eventually(async () => {
      const r = await tokenRow(accountId);
      return r && r.accessTokenExpiry.getTime() > Date.now() + 50 * 60_000 ? r : undefined;
    }, 20_000);
    expect(row.needsRelink).toBe(false);
    // The chain is intact: the next refresh presents the rotated token.
    expect(await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true })).toMatchObject({
      ok: true,
      refreshed: true,
    });
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 2 });
  }, 60_000);
});

describe("a late refresh through the route", () => {
  it("answers 504 while the refresh runs on, and the client's retry gets its token without a second OAuth request", async () => {
    const user = await createTestUser();
    const accountId = user.user.id;
    const { sub } = await seedMirroredGrant(accountId, { expiresInMs: 60_000 });
    await fake("/__slow-refresh", { sub, ms: 12_000 });
    const first = await post("/api/v1/hytale/oauth/refresh", user.token, {});
    expect(first.res.status, first.text).toBe(504);
    expect(first.res.headers.get("retry-after")).toBe("5");
    const retry = await post("/api/v1/hytale/oauth/refresh", user.token, {});
    expect(retry.res.status, retry.text).toBe(200);
    expect(typeof (retry.body as { access_token?: unknown }).access_token).toBe("string");
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 1 });
  }, 60_000);
});

describe("grant shards", () => {
  it("spreads accounts over the shards and always maps one account to the same one", () => {
    const used = new Set(Array.from({ length: 2000 }, (_, i) => grantShardName(`acct-${i}`)));
    expect(used.size).toBe(GRANT_SHARDS);
    expect(grantShardName("same")).toBe(grantShardName("same"));
  });

  it("refuses to write an account through an object that is not its shard", async () => {
    const accountId = uid("wrong");
    await seedMirroredGrant(accountId);
    const refused = await env.HYTALE_GRANT.getByName(accountId)
      .access({ accountId, actor: SYSTEM_ACTOR, force: true })
      .then(
        () => "written",
        (err: unknown) => String(err),
      );
    expect(refused).toMatch(/does not own/);
    expect(await fake(`/__grants/sub-${accountId}`)).toMatchObject({ refreshes: 0 });
  });

  it("takes over a pre-sharding per-account object's newer copy once, never presenting the mirror's older token", async () => {
    const accountId = uid("legacy");
    const { sub, refreshToken: old } = await seedMirroredGrant(accountId);
    const deps = testDeps();
    // The old per-account object refreshed, and its mirror write was lost: it alone holds the
    // current refresh token; the mirror row (flagged as written before sharding) the rotated one.
    const rotated = await refreshTokens(deps, old);
    if (!rotated.ok || !rotated.value.refresh_token) throw new Error("seed refresh failed");
    const row = await tokenRow(accountId);
    if (!row) throw new Error("no row");
    await testDb()
      .update(hytaleOauthTokens)
      .set({ legacyGrantObject: true })
      .where(eq(hytaleOauthTokens.accountId, accountId));
    const now = Date.now();
    const legacyRecord = {
      ...recordFromRow(row),
      legacy: undefined,
      version: nextVersion(row.grantVersion, now),
      ...(await seal(deps.config, accountId, {
        access: rotated.value.access_token,
        refresh: rotated.value.refresh_token,
      })),
      refreshTokenHash: await refreshTokenHash(rotated.value.refresh_token),
      accessTokenExpiresAt: now + 60_000,
      mirrored: false,
    };
    await runInDurableObject(env.HYTALE_GRANT.getByName(accountId), async (_o: HytaleGrant, state) => {
      state.storage.kv.put("grant", legacyRecord);
    });

    const stub = grantStub(deps, accountId);
    expect(await stub.access({ accountId, actor: SYSTEM_ACTOR, force: true })).toMatchObject({
      ok: true,
      refreshed: true,
    });
    expect(await fake(`/__grants/${sub}`)).toMatchObject({ revoked: false, refreshes: 2 });
    const after = await tokenRow(accountId);
    expect(after?.legacyGrantObject).toBe(false);
    expect(after?.grantVersion).toBeGreaterThan(legacyRecord.version);
  });

  it("adoptGrant writes upstream tokens through the single writer, and keeps a live grant unless told to replace it", async () => {
    const accountId = uid("adopt");
    const seeded = await fake<{ sub: string; refresh_token: string }>("/__seed-grant", {
      sub: uid("adopt-sub"),
    });
    const deps = testDeps();
    const tokens = {
      accessToken: "upstream-access",
      refreshToken: seeded.refresh_token,
      accessTokenExpiresAt: Date.now() + 60_000,
      grantCreatedAt: Date.now() - 3 * 86_400_000,
    };
    expect(await adoptGrant(deps, accountId, tokens)).toMatchObject({ accountId, adopted: true });
    const row = await tokenRow(accountId);
    expect(row?.refreshToken).toMatch(/^enc:/);
    expect(row?.refreshToken).not.toContain(seeded.refresh_token);
    expect(row?.legacyGrantObject).toBe(false);
    expect(row?.grantCreatedAt?.getTime()).toBe(tokens.grantCreatedAt);
    expect(await adoptGrant(deps, accountId, { ...tokens, refreshToken: "stale" })).toMatchObject({
      adopted: false,
    });
    expect(
      await grantStub(deps, accountId).access({ accountId, actor: SYSTEM_ACTOR, minValidMs: 10 * 60_000 }),
    ).toMatchObject({ ok: true, refreshed: true });
    expect(await fake(`/__grants/${seeded.sub}`)).toMatchObject({ revoked: false, refreshes: 1 });
  });
});

describe("scheduled refresh", () => {
  it("the */5 cron refreshes due accounts through the queue and marks revoked grants for re-linking", async () => {
    const due = [uid("due"), uid("due")];
    for (const id of due) await seedMirroredGrant(id, { expiresInMs: 2 * 60_000 });
    const later = uid("later");
    await seedMirroredGrant(later, { expiresInMs: HOUR });
    const revoked = uid("revoked");
    const { sub } = await seedMirroredGrant(revoked, { expiresInMs: 60_000 });
    await fake("/__revoke", { sub });
    const laterBefore = await tokenRow(later);

    const entry = exports.default as unknown as {
      scheduled(o: { cron: string; scheduledTime?: Date }): Promise<unknown>;
    };
    await entry.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date() });

    for (const id of due) {
      await eventually(async () => {
        const row = await tokenRow(id);
        return row && row.accessTokenExpiry.getTime() > Date.now() + 50 * 60_000 ? row : undefined;
      }, 20_000);
    }
    const gone = await eventually(async () => {
      const row = await tokenRow(revoked);
      return row?.needsRelink ? row : undefined;
    }, 20_000);
    expect(gone.relinkReason).toContain("invalid_grant");
    expect((await tokenRow(later))?.grantVersion).toBe(laterBefore?.grantVersion);
  });

  it("sends the renew-soon notice once per grant near the end of its lifetime", async () => {
    const accountId = uid("old");
    await seedMirroredGrant(accountId, { expiresInMs: HOUR });
    await testDb()
      .update(hytaleOauthTokens)
      .set({ grantCreatedAt: new Date(Date.now() - 27 * 86_400_000) })
      .where(eq(hytaleOauthTokens.accountId, accountId));
    const queued: { type: string; payload: unknown }[] = [];
    const deps = testDeps({
      message: jobMessage("hytale.refresh-due"),
      enqueue: async (type, payload, opts) => {
        queued.push({ type, payload });
        return { id: opts?.id ?? "x", type, payload, priority: "low", enqueuedAt: "" };
      },
    });
    await hytaleJobs["hytale.refresh-due"]?.({}, deps);
    await hytaleJobs["hytale.refresh-due"]?.({}, deps);
    const notices = queued.filter(
      (q) =>
        q.type === "notify.hytale-account" && (q.payload as { accountId: string }).accountId === accountId,
    );
    expect(notices).toHaveLength(1);
    expect(notices[0]?.payload).toMatchObject({ reason: "grant-expiring" });
    expect((await tokenRow(accountId))?.grantNoticeSentAt).toBeInstanceOf(Date);
  });
});
