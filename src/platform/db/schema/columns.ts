// Column helpers shared by every schema file: timestamps are timestamptz read as JS Dates (ISO-8601
// UTC in JSON), createdAt/updatedAt default to now(), and the panel mirror's sweep marker.
import { text, timestamp } from "drizzle-orm/pg-core";

export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const createdAt = () => tstz("createdAt").notNull().defaultNow();
export const updatedAt = () => tstz("updatedAt").notNull().defaultNow();

/** Id of the last sync run that saw the row; after a complete listing, rows with another id are swept. */
export const lastSeenSyncId = () => text("lastSeenSyncId");

/** Set when the panel no longer has the row (confirmed by the sync): hidden from every list and count, purged later. */
export const deletedAt = () => tstz("deletedAt");
