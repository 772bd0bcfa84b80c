// Who may join which topic, decided in the Worker before any hub object sees the request:
// `admin` and `sync:*` admins only; `server:{uuid}` admins and the server's owner; `chat:{id}` any
// member for a public channel, admins for a staff channel; `ticket:{id}` the ticket's owner and
// staff. Chat and ticket topics refuse banned users, and are where clients may publish.
import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { Database } from "../../platform/db/client.ts";
import {
  type ChatBan,
  chatBans,
  chatChannels,
  servers,
  supportTickets,
  type User,
} from "../../platform/db/schema/index.ts";
import { AppError } from "../../platform/errors.ts";
import { isAdminUser } from "../../platform/principal.ts";
import { CHAT_KINDS, TOPIC_RE, topicKind } from "../../services/realtime/protocol.ts";

export interface TopicGrant {
  topic: string;
  role: "member" | "staff";
  canPublish: boolean;
}

export function parseTopic(topic: string): string {
  if (!TOPIC_RE.test(topic)) {
    throw new AppError(
      "INVALID_REQUEST",
      "Unknown topic (admin, sync:{id}, server:{uuid}, chat:{channel}, ticket:{id})",
    );
  }
  return topic;
}

/** The user's active ban, if any (not lifted, not expired). */
export async function activeBan(db: Database, userId: string, now: Date): Promise<ChatBan | undefined> {
  const [ban] = await db
    .select()
    .from(chatBans)
    .where(
      and(
        eq(chatBans.userId, userId),
        isNull(chatBans.liftedAt),
        or(isNull(chatBans.expiresAt), gt(chatBans.expiresAt, now)),
      ),
    )
    .orderBy(desc(chatBans.createdAt))
    .limit(1);
  return ban;
}

const forbidden = () => new AppError("FORBIDDEN", "Not allowed on this topic");

export async function authorizeTopic(
  db: Database,
  user: User,
  rawTopic: string,
  now: Date,
): Promise<TopicGrant> {
  const topic = parseTopic(rawTopic);
  const admin = isAdminUser(user);
  const role = admin ? "staff" : "member";
  const kind = topicKind(topic);
  const id = topic.slice(kind.length + 1);
  switch (kind) {
    case "admin":
    case "sync":
      if (!admin) throw new AppError("FORBIDDEN", "Admin access required");
      return { topic, role, canPublish: false };
    case "server": {
      if (admin) return { topic, role, canPublish: false };
      const [row] = await db
        .select({ id: servers.id })
        .from(servers)
        .where(and(eq(servers.uuid, id), eq(servers.ownerId, user.id), isNull(servers.deletedAt)));
      if (!row) throw forbidden();
      return { topic, role, canPublish: false };
    }
    case "chat": {
      const [channel] = await db
        .select()
        .from(chatChannels)
        .where(and(eq(chatChannels.id, id), isNull(chatChannels.archivedAt)));
      if (!channel) throw new AppError("NOT_FOUND", "Channel not found");
      if (channel.visibility !== "public" && !admin) throw forbidden();
      break;
    }
    case "ticket": {
      const [ticket] = await db
        .select({ userId: supportTickets.userId })
        .from(supportTickets)
        .where(eq(supportTickets.id, id));
      if (!ticket || (ticket.userId !== user.id && !admin)) throw forbidden();
      break;
    }
  }
  if (CHAT_KINDS.has(kind) && (await activeBan(db, user.id, now))) {
    throw new AppError("FORBIDDEN", "You are banned from chat", { publicError: "banned" });
  }
  return { topic, role, canPublish: CHAT_KINDS.has(kind) };
}

export function displayName(user: User): string {
  return user.username ?? user.firstName ?? user.email.split("@")[0] ?? user.id;
}
