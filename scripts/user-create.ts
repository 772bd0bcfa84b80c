// `npm run user:create -- --email E --password P [--admin] [--username U]`: creates (or resets)
// a verified, active user with a bcrypt password, so a first admin can log in.
import { parseArgs } from "node:util";
import bcrypt from "bcryptjs";
import { openSqlTarget } from "./lib/sql-target.ts";

const { values } = parseArgs({
  options: {
    email: { type: "string" },
    password: { type: "string" },
    username: { type: "string" },
    admin: { type: "boolean", default: false },
  },
});

const email = values.email?.trim().toLowerCase();
if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || !values.password || values.password.length < 8) {
  console.error(
    "usage: npm run user:create -- --email you@example.com --password 'at least 8 chars' [--admin]",
  );
  process.exit(2);
}

const hash = await bcrypt.hash(values.password, 10);
const roles = values.admin ? ["MEMBER", "SUPER_ADMIN"] : ["MEMBER"];
const target = await openSqlTarget();
try {
  const rows = await target.query(
    `insert into users (id, email, password, username, roles, "isSystemAdmin", "emailVerified", "isActive", "createdAt", "updatedAt")
     values ($1, $2, $3, $4, $5::text[], $6, now(), true, now(), now())
     on conflict (email) do update set password = excluded.password, roles = excluded.roles,
       "isSystemAdmin" = excluded."isSystemAdmin", "emailVerified" = coalesce(users."emailVerified", now()),
       "isActive" = true, "updatedAt" = now()
     returning id, (xmax = 0) as created`,
    [
      crypto.randomUUID(),
      email,
      hash,
      values.username ?? email.split("@")[0],
      `{${roles.join(",")}}`,
      values.admin,
    ],
  );
  const row = rows[0] ?? {};
  console.log(
    `${row.created ? "created" : "updated"} user ${email} (id ${String(row.id)}${values.admin ? ", admin" : ""}) in ${target.describe}`,
  );
} finally {
  await target.close();
}
