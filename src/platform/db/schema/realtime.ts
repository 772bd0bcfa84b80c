// Realtime chat: channels (admin-managed), persisted messages of chat:* and ticket:* topics (the
// hub's offset is the per-topic order), and bans that keep a user out of every chat topic.
import { sql } from "drizzle-orm";
import { bigint, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";
import { createdAt, tstz } from "./columns.ts";

/** A community channel; its topic is `chat:{id}`. `staff` channels are for admins only. */
export const chatChannels = pgTable("chat_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description"),
  /** public | staff */
  visibility: text("visibility").notNull().default("public"),
  createdAt: createdAt(),
  archivedAt: tstz("archivedAt"),
});

/** One chat message, written by the topic's hub after it was broadcast; (topic, offset) is unique. */
export const chatMessages = pgTable(
  "chat_messages",
  {
    /** The frame id clients saw. */
    id: text("id").primaryKey(),
    topic: text("topic").notNull(),
    offset: bigint("offset", { mode: "number" }).notNull(),
    userId: text("userId").references(() => users.id, { onDelete: "set null" }),
    body: text("body").notNull(),
    createdAt: createdAt(),
    deletedAt: tstz("deletedAt"),
    deletedBy: text("deletedBy"),
  },
  (t) => [
    uniqueIndex("chat_messages_topic_offset_key").on(t.topic, t.offset),
    index("chat_messages_topic_createdAt_idx").on(t.topic, t.createdAt),
  ],
);

/** A ban from every chat and ticket topic; active while liftedAt is null and expiresAt is unset or ahead. */
export const chatBans = pgTable(
  "chat_bans",
  {
    id: text("id").primaryKey().default(sql`gen_random_uuid()::text`),
    userId: text("userId")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    reason: text("reason").notNull(),
    expiresAt: tstz("expiresAt"),
    createdBy: text("createdBy"),
    createdAt: createdAt(),
    liftedAt: tstz("liftedAt"),
  },
  (t) => [index("chat_bans_userId_idx").on(t.userId)],
);

export type ChatChannel = typeof chatChannels.$inferSelect;
export type ChatMessage = typeof chatMessages.$inferSelect;
export type ChatBan = typeof chatBans.$inferSelect;
