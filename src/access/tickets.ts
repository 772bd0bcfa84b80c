// Short-lived, single-use tickets for URLs a browser must open without headers (EventSource, and
// later WebSockets): an authenticated POST issues one; the URL carries the ticket, never the
// caller's long-lived token. Stored as SHA-256 in verification_tokens (type `ticket:<purpose>`),
// consumed by one DELETE … RETURNING, purged with the other expired tokens.
import { sql } from "drizzle-orm";
import { randomHex, sha256Hex } from "../platform/crypto.ts";
import type { Deps } from "../platform/deps.ts";

export const TICKET_TTL_SECONDS = 60;

export async function issueTicket(
  deps: Pick<Deps, "db" | "now">,
  userId: string,
  purpose: string,
): Promise<{ ticket: string; expiresIn: number }> {
  const ticket = randomHex(24);
  const expires = new Date(deps.now().getTime() + TICKET_TTL_SECONDS * 1000).toISOString();
  await deps.db.execute(sql`
    insert into verification_tokens (identifier, token, type, expires)
    values (${userId}, ${await sha256Hex(ticket)}, ${`ticket:${purpose}`}, ${expires}::timestamptz)`);
  return { ticket, expiresIn: TICKET_TTL_SECONDS };
}

/** The user a ticket was issued to, once; undefined when unknown, used or expired. */
export async function consumeTicket(
  deps: Pick<Deps, "db" | "now">,
  ticket: string,
  purpose: string,
): Promise<string | undefined> {
  const res = await deps.db.execute<{ identifier: string }>(sql`
    delete from verification_tokens
    where token = ${await sha256Hex(ticket)} and type = ${`ticket:${purpose}`}
      and expires > ${deps.now().toISOString()}::timestamptz
    returning identifier`);
  return res.rows[0]?.identifier;
}
