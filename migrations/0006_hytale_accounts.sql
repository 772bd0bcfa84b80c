CREATE TABLE "hytale_device_codes" (
	"device_code_hash" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"interval_seconds" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"next_poll_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "refresh_token_hash" text;--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "grant_created_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "grant_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "needs_relink" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "relink_reason" text;--> statement-breakpoint
ALTER TABLE "hytale_oauth_tokens" ADD COLUMN "grant_notice_sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "hytale_device_codes_expires_at_idx" ON "hytale_device_codes" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "hytale_oauth_tokens_refresh_token_hash_key" ON "hytale_oauth_tokens" USING btree ("refresh_token_hash");