CREATE TABLE "sync_quarantine" (
	"resource" text NOT NULL,
	"panelId" text NOT NULL,
	"sqlState" text NOT NULL,
	"message" text NOT NULL,
	"syncLogId" text NOT NULL,
	"row" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_quarantine_resource_panelId_pk" PRIMARY KEY("resource","panelId")
);
--> statement-breakpoint
DROP INDEX "allocations_nodeId_ip_port_key";--> statement-breakpoint
DROP INDEX "eggs_uuid_key";--> statement-breakpoint
DROP INDEX "locations_shortCode_key";--> statement-breakpoint
DROP INDEX "nests_uuid_key";--> statement-breakpoint
DROP INDEX "nodes_uuid_key";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "panelEmail" text;--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "egg_variables" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "eggs" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "locations" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "nests" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "server_databases" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "deletedAt" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "sync_quarantine_updatedAt_idx" ON "sync_quarantine" USING btree ("updatedAt");--> statement-breakpoint
CREATE UNIQUE INDEX "allocations_nodeId_ip_port_key" ON "allocations" USING btree ("nodeId","ip","port") WHERE "deletedAt" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "eggs_uuid_key" ON "eggs" USING btree ("uuid") WHERE "deletedAt" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "locations_shortCode_key" ON "locations" USING btree ("shortCode") WHERE "deletedAt" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "nests_uuid_key" ON "nests" USING btree ("uuid") WHERE "deletedAt" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_uuid_key" ON "nodes" USING btree ("uuid") WHERE "deletedAt" is null;