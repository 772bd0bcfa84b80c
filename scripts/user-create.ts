// `npm run user:create -- --email E [--admin] [--username U]`: creates (or resets) a verified,
// active user with a bcrypt password, so a first admin can log in. The password never travels on
// the command line (where `ps` and shell history keep it): it comes from USER_PASSWORD, from a
// hidden prompt, or from standard input (`printf %s "$PW" | npm run user:create -- …`).
import { createInterface } from "node:readline";
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

const usage =
  "usage: npm run user:create -- --email you@example.com [--admin]   (password: USER_PASSWORD, the prompt, or stdin)";
if (values.password !== undefined) {
  console.error("--password is not accepted: a password on the command line is visible to every local user.");
  console.error(usage);
  process.exit(2);
}

async function readPassword(): Promise<string> {
  if (process.env.USER_PASSWORD) return process.env.USER_PASSWORD;
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    return text.replace(/\r?\n$/, "");
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stdout.write("Password (hidden): ");
  out._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stdout.write("\n");
  return answer;
}

const email = values.email?.trim().toLowerCase();
if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
  console.error(usage);
  process.exit(2);
}
const password = await readPassword();
if (password.length < 8) {
  console.error("the password needs at least 8 characters");
  process.exit(2);
}

const hash = await bcrypt.hash(password, 10);
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
