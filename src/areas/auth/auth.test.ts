// /api/v1/auth/* through the real Worker: the login → me → refresh → reuse → logout scenario,
// registration and e-mail verification, password reset, magic links, lookups, and logs.
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callJson, countingEnv, eventually, testDb, uid } from "../../../test/helpers.ts";
import { bearer, createAdmin, createTestUser, emailsTo, linkParams } from "../../../test/users.ts";
import { sha256Hex } from "../../platform/crypto.ts";
import { auditLogs, users } from "../../platform/db/schema/index.ts";
import { createDeps } from "../../platform/deps.ts";
import { getConfig } from "../../platform/env.ts";
import { forgotPassword, requestMagicLink } from "../../services/accounts/email-flows.ts";

type Body = Record<string, unknown> & { user?: Record<string, unknown>; error?: string };

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  callJson<Body>(`/api/v1/auth${path}`, {
    method: "POST",
    // A fresh client IP per call: these tests are about the flows, rate-limit.test.ts about limits.
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}`,
      ...headers,
    },
    body: JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = {}) =>
  callJson<Body>(`/api/v1/auth${path}`, { headers });

async function auditActions(userId: string): Promise<string[]> {
  const rows = await testDb().select().from(auditLogs).where(eq(auditLogs.targetId, userId));
  return rows.map((r) => r.action);
}

let logged: string[] = [];
beforeEach(() => {
  logged = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
  }
});
afterEach(() => vi.restoreAllMocks());

/** Moves a token's rotation back past the grace window (as if a minute had passed). */
async function ageRotation(token: string) {
  await testDb().execute(sql`update refresh_tokens set "rotatedAt" = "rotatedAt" - interval '1 minute'
    where "tokenHash" = ${await sha256Hex(token)}`);
}

describe("login → me → refresh → reuse → logout", () => {
  it("runs the whole session lifecycle and never logs a secret", async () => {
    const { user, password } = await createTestUser();
    const login = await post("/login", { email: user.email.toUpperCase(), password });
    expect(login.res.status, login.text).toBe(200);
    expect(login.body).toMatchObject({ success: true, message: "Login successful", expiresIn: 3600 });
    expect(login.body.user).toMatchObject({ id: user.id, email: user.email, roles: ["MEMBER"] });
    const access = String(login.body.accessToken);
    const refresh1 = String(login.body.refreshToken);
    expect(login.body.tokens).toEqual({
      accessToken: access,
      refreshToken: refresh1,
      expiresIn: 3600,
      tokenType: "Bearer",
    });

    const [row] = await testDb().select().from(users).where(eq(users.id, user.id));
    expect(row?.lastLoginAt).toBeInstanceOf(Date);

    const me = await get("/me", bearer(access));
    expect(me.res.status, me.text).toBe(200);
    expect(me.body.user).toMatchObject({ id: user.id, isSystemAdmin: false });

    const r2 = await post("/refresh", { refreshToken: refresh1 });
    expect(r2.res.status, r2.text).toBe(200);
    const refresh2 = String(r2.body.refreshToken);
    expect(refresh2).not.toBe(refresh1);
    expect((await get("/me", bearer(String(r2.body.accessToken)))).res.status).toBe(200);

    // Reusing the rotated token after the grace window revokes the whole family: refresh2 dies too.
    await ageRotation(refresh1);
    const reuse = await post("/refresh", { refreshToken: refresh1 });
    expect(reuse.res.status, reuse.text).toBe(401);
    expect(reuse.body).toMatchObject({
      success: false,
      error: "invalid_refresh_token",
      code: "UNAUTHORIZED",
    });
    const afterReuse = await post("/refresh", { refreshToken: refresh2 });
    expect(afterReuse.res.status, afterReuse.text).toBe(401);

    // A fresh login, then logout with the access token revokes every refresh token of the user.
    const again = await post("/login", { email: user.email, password });
    const out = await post(
      "/logout",
      { refreshToken: again.body.refreshToken },
      bearer(String(again.body.accessToken)),
    );
    expect(out.res.status, out.text).toBe(200);
    expect((await post("/refresh", { refreshToken: again.body.refreshToken })).res.status).toBe(401);

    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(["auth.login", "auth.logout"]));
    const reuseRows = await testDb().select().from(auditLogs).where(eq(auditLogs.actorId, user.id));
    expect(reuseRows.map((r) => r.action)).toContain("auth.refresh_reuse");

    const all = logged.join("\n");
    for (const secret of [password, access, refresh1, refresh2, String(again.body.refreshToken)]) {
      expect(all).not.toContain(secret);
    }
  });

  it("keeps two tabs refreshing at once (or a lost answer) signed in, within the grace window", async () => {
    const { user, password } = await createTestUser();
    const login = await post("/login", { email: user.email, password });
    const [a, b] = await Promise.all([
      post("/refresh", { refreshToken: login.body.refreshToken }),
      post("/refresh", { refreshToken: login.body.refreshToken }),
    ]);
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    // Both successors work, and the family is intact.
    const [a2, b2] = await Promise.all([
      post("/refresh", { refreshToken: a.body.refreshToken }),
      post("/refresh", { refreshToken: b.body.refreshToken }),
    ]);
    expect([a2.res.status, b2.res.status]).toEqual([200, 200]);
    // A retry of a lost answer, a few seconds later: still a successor.
    const retry = await post("/refresh", { refreshToken: a2.body.refreshToken });
    const retried = await post("/refresh", { refreshToken: a2.body.refreshToken });
    expect([retry.res.status, retried.res.status]).toEqual([200, 200]);
  });

  it("revokes the family on reuse after the grace window", async () => {
    const { user, password } = await createTestUser();
    const login = await post("/login", { email: user.email, password });
    const next = await post("/refresh", { refreshToken: login.body.refreshToken });
    await ageRotation(String(login.body.refreshToken));
    expect((await post("/refresh", { refreshToken: login.body.refreshToken })).res.status).toBe(401);
    expect((await post("/refresh", { refreshToken: next.body.refreshToken })).res.status).toBe(401);
  });

  it("leaves no live successor when a logout races a rotation", async () => {
    const { user, password } = await createTestUser();
    for (let i = 0; i < 5; i++) {
      const login = await post("/login", { email: user.email, password });
      const token = String(login.body.refreshToken);
      await Promise.all([
        post("/refresh", { refreshToken: token }),
        post("/logout", { refreshToken: token }),
      ]);
      const [row] = (
        await testDb().execute<{ live: number }>(sql`
          select count(*)::int as live from refresh_tokens
          where "familyId" = (select "familyId" from refresh_tokens where "tokenHash" = ${await sha256Hex(token)})
            and "revokedAt" is null`)
      ).rows;
      expect(row?.live).toBe(0);
    }
  });
});

describe("login errors", () => {
  it("answers invalid_credentials for a wrong password or unknown e-mail, and audits the failure", async () => {
    const { user } = await createTestUser();
    const wrong = await post("/login", { email: user.email, password: "Wrong-password-1" });
    expect(wrong.res.status, wrong.text).toBe(401);
    expect(wrong.body).toMatchObject({ success: false, error: "invalid_credentials", code: "UNAUTHORIZED" });
    const unknown = await post("/login", { email: `${uid("nobody")}@example.com`, password: "Whatever-1" });
    expect(unknown.res.status).toBe(401);
    expect(unknown.body.error).toBe("invalid_credentials");
    expect(await auditActions(user.id)).toContain("auth.login_failed");
    expect(logged.join("\n")).not.toContain("Wrong-password-1");
  });

  it("refuses unverified and disabled users with upstream's codes", async () => {
    const unverified = await createTestUser({ verified: false });
    const r1 = await post("/login", { email: unverified.user.email, password: unverified.password });
    expect(r1.res.status).toBe(401);
    expect(r1.body.error).toBe("email_not_verified");
    const disabled = await createTestUser({ active: false });
    const r2 = await post("/login", { email: disabled.user.email, password: disabled.password });
    expect(r2.res.status).toBe(401);
    expect(r2.body.error).toBe("account_disabled");
    expect((await get("/me", bearer(disabled.token))).body.error).toBe("account_disabled");
  });

  it("answers 400 with snake_case codes for missing fields, bad e-mails and wrong types", async () => {
    expect((await post("/login", {})).body.error).toBe("missing_fields");
    expect((await post("/login", { email: "nope", password: "x" })).body.error).toBe("invalid_email");
    const typed = await post("/login", { email: 42, password: true });
    expect(typed.res.status).toBe(400);
    expect(typed.body).toMatchObject({ error: "invalid_request", code: "INVALID_REQUEST" });
  });
});

describe("registration and e-mail verification", () => {
  it("registers, e-mails a verification link, verifies once, then signs in", async () => {
    const email = `${uid("new")}@Example.com`;
    const reg = await post("/register", {
      email,
      password: "Str0ng-password",
      confirmPassword: "Str0ng-password",
    });
    expect(reg.res.status, reg.text).toBe(201);
    expect(reg.body).toEqual({
      success: true,
      message: "Registration successful. Please verify your email.",
    });
    const lower = email.toLowerCase();
    const [row] = await testDb().select().from(users).where(eq(users.email, lower));
    expect(row).toMatchObject({ email: lower, roles: ["MEMBER"], emailVerified: null, isActive: true });

    expect((await post("/login", { email, password: "Str0ng-password" })).body.error).toBe(
      "email_not_verified",
    );
    const [mail] = await eventually(async () =>
      (await emailsTo(lower)).length ? emailsTo(lower) : undefined,
    );
    expect(mail?.subject).toBe("Verify your email address");
    expect(mail?.html).not.toContain("<script");
    const link = linkParams(String(mail?.text));
    expect(link.id).toBe(row?.id);

    const verified = await post("/verify-email", link);
    expect(verified.res.status, verified.text).toBe(200);
    expect((await post("/verify-email", link)).body.error).toBe("invalid_token");
    // One audit row, written by the verifying statement itself; the refused second try left none.
    expect((await auditActions(String(row?.id))).filter((a) => a === "auth.email_verified")).toHaveLength(1);
    const login = await post("/login", { email, password: "Str0ng-password" });
    expect(login.res.status, login.text).toBe(200);
    expect(logged.join("\n")).not.toContain(link.token);
  });

  it("refuses duplicates (case-insensitively), weak passwords and mismatches", async () => {
    const { user } = await createTestUser();
    const dup = await post("/register", { email: user.email.toUpperCase(), password: "Str0ng-password" });
    expect(dup.res.status).toBe(409);
    expect(dup.body.error).toBe("email_exists");
    const cases: [string, string][] = [
      ["short1A", "password_too_short"],
      ["alllowercase1", "password_needs_uppercase"],
      ["ALLUPPERCASE1", "password_needs_lowercase"],
      ["NoDigitsHere", "password_needs_digit"],
    ];
    for (const [password, code] of cases) {
      const r = await post("/register", { email: `${uid("weak")}@example.com`, password });
      expect(r.body.error, password).toBe(code);
    }
    const mismatch = await post("/register", {
      email: `${uid("m")}@example.com`,
      password: "Str0ng-password",
      confirmPassword: "Other-passw0rd",
    });
    expect(mismatch.body.error).toBe("passwords_dont_match");
  });

  it("honours registration_enabled = false", async () => {
    const db = testDb();
    await db.execute(sql`insert into config (key, value) values ('registration_enabled', 'false')
      on conflict (key) do update set value = 'false'`);
    try {
      const r = await post("/register", {
        email: `${uid("closed")}@example.com`,
        password: "Str0ng-password",
      });
      expect(r.res.status, r.text).toBe(403);
      expect(r.body.error).toBe("registration_disabled");
    } finally {
      await db.execute(sql`delete from config where key = 'registration_enabled'`);
    }
  });
});

describe("password reset", () => {
  it("resets with the e-mailed token once, revoking sessions; unknown e-mails get the same answer", async () => {
    const { user, password } = await createTestUser();
    const session = await post("/login", { email: user.email, password });
    const unknown = await post("/forgot-password", { email: `${uid("ghost")}@example.com` });
    const known = await post("/forgot-password", { email: user.email });
    expect(known.res.status).toBe(200);
    expect(known.body).toEqual(unknown.body);

    const [mail] = await eventually(async () =>
      (await emailsTo(user.email)).length ? emailsTo(user.email) : undefined,
    );
    expect(mail?.subject).toBe("Reset your password");
    const link = linkParams(String(mail?.text));
    const reset = await post("/reset-password", {
      ...link,
      password: "N3w-password!",
      confirmPassword: "N3w-password!",
    });
    expect(reset.res.status, reset.text).toBe(200);
    expect((await post("/reset-password", { ...link, password: "N3w-password!" })).body.error).toBe(
      "invalid_token",
    );

    expect((await post("/login", { email: user.email, password })).body.error).toBe("invalid_credentials");
    expect((await post("/login", { email: user.email, password: "N3w-password!" })).res.status).toBe(200);
    expect((await post("/refresh", { refreshToken: session.body.refreshToken })).res.status).toBe(401);
    expect(await auditActions(user.id)).toContain("auth.password_reset");
  });

  it("rejects a token for another user id and weak new passwords", async () => {
    const { user } = await createTestUser();
    await post("/forgot-password", { email: user.email });
    const [mail] = await eventually(async () =>
      (await emailsTo(user.email)).length ? emailsTo(user.email) : undefined,
    );
    const link = linkParams(String(mail?.text));
    expect((await post("/reset-password", { ...link, password: "weak" })).body.error).toBe(
      "password_too_short",
    );
    const other = await createTestUser();
    const r = await post("/reset-password", {
      token: link.token,
      id: other.user.id,
      password: "N3w-password!",
    });
    expect(r.body.error).toBe("invalid_token");
  });
});

describe("magic links", () => {
  it("signs in once with the e-mailed token", async () => {
    const { user } = await createTestUser();
    expect((await post("/magic-link", { email: user.email })).res.status).toBe(200);
    const [mail] = await eventually(async () =>
      (await emailsTo(user.email)).length ? emailsTo(user.email) : undefined,
    );
    const { token } = linkParams(String(mail?.text));
    const ok = await post("/magic-link/verify", { token });
    expect(ok.res.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ success: true, message: "Magic link verified", expiresIn: 3600 });
    expect((await get("/me", bearer(String(ok.body.accessToken)))).res.status).toBe(200);
    const again = await post("/magic-link/verify", { token });
    expect(again.res.status).toBe(401);
    expect(again.body.error).toBe("invalid_token");
  });
});

describe("lookups are not an anonymous account oracle", () => {
  it("check-email needs an admin or a service key", async () => {
    const member = await createTestUser();
    const admin = await createAdmin();
    expect((await get(`/check-email?email=${member.user.email}`)).res.status).toBe(401);
    expect((await get(`/check-email?email=${member.user.email}`, bearer(member.token))).res.status).toBe(403);
    const yes = await get(`/check-email?email=${member.user.email.toUpperCase()}`, bearer(admin.token));
    expect(yes.body).toEqual({ success: true, exists: true });
    const no = await get(`/check-email?email=${uid("x")}@example.com`, {
      "x-api-key": "test-backend-api-key",
    });
    expect(no.body).toEqual({ success: true, exists: false });
    expect((await get("/check-email", bearer(admin.token))).body.error).toBe("missing_email");
  });

  it("users/:id answers the user themself, admins and services only", async () => {
    const a = await createTestUser();
    const b = await createTestUser();
    const admin = await createAdmin();
    expect((await get(`/users/${a.user.id}`)).res.status).toBe(401);
    expect((await get(`/users/${a.user.id}`, bearer(a.token))).body.user).toMatchObject({ id: a.user.id });
    expect((await get(`/users/${a.user.id}`, bearer(b.token))).res.status).toBe(403);
    expect((await get(`/users/${a.user.id}`, bearer(admin.token))).res.status).toBe(200);
    const missing = await get(`/users/${uid("none")}`, bearer(admin.token));
    expect(missing.res.status).toBe(404);
    expect(missing.body.error).toBe("user_not_found");
  });
});

describe("no account oracle in the e-mail flows", () => {
  it("forgot-password and magic-link do the same work for a known and an unknown address", async () => {
    const { user } = await createTestUser();
    const unknown = `${uid("nobody")}@example.com`;
    for (const flow of [forgotPassword, requestMagicLink]) {
      const work: { queued: string[]; sql: number }[] = [];
      for (const email of [user.email, unknown]) {
        const counting = countingEnv();
        const queued: string[] = [];
        const deps = createDeps(getConfig(counting.env), {
          enqueue: async (type, payload) => {
            queued.push(`${type}:${(payload as { kind: string }).kind}`);
            return { id: "x", type, payload, priority: "critical", enqueuedAt: "" };
          },
        });
        await flow(deps, { email });
        work.push({ queued, sql: await counting.sqlRequests() });
      }
      expect(work[0]).toEqual(work[1]);
      expect(work[0]?.sql).toBe(0);
      expect(work[0]?.queued).toHaveLength(1);
    }
  });
});
