DROP INDEX "hytale_game_sessions_account_profile_key";--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "last_refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "delivery_status" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "delivery_error" text;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "delivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "end_reason" text;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD COLUMN "delete_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "hytale_game_sessions_server_live_key" ON "hytale_game_sessions" USING btree ("server_id") WHERE server_id is not null and ended_at is null;--> statement-breakpoint
CREATE INDEX "hytale_game_sessions_account_id_idx" ON "hytale_game_sessions" USING btree ("account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "hytale_game_sessions_account_profile_key" ON "hytale_game_sessions" USING btree ("account_id","profile_uuid") WHERE server_id is null and ended_at is null;