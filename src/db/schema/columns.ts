// Column helpers shared by every schema file: timestamptz in JS Dates (ISO strings in JSON).
import { timestamp } from "drizzle-orm/pg-core";

export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const createdAt = () => tstz("createdAt").notNull().defaultNow();
export const updatedAt = () => tstz("updatedAt").notNull().defaultNow();
