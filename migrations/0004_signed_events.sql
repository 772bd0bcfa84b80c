CREATE TABLE "event_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"endpointId" text NOT NULL,
	"eventType" text NOT NULL,
	"body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"claimedAt" timestamp with time zone,
	"nextAttemptAt" timestamp with time zone,
	"lastStatus" integer,
	"error" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"deliveredAt" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "event_delivery_attempts" (
	"deliveryId" text NOT NULL,
	"attempt" integer NOT NULL,
	"trigger" text NOT NULL,
	"status" integer,
	"latencyMs" integer NOT NULL,
	"responseExcerpt" text DEFAULT '' NOT NULL,
	"error" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_delivery_attempts_deliveryId_attempt_pk" PRIMARY KEY("deliveryId","attempt")
);
--> statement-breakpoint
CREATE TABLE "event_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"eventTypes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabledReason" text,
	"secret" text NOT NULL,
	"previousSecret" text,
	"previousSecretExpiresAt" timestamp with time zone,
	"lastSuccessAt" timestamp with time zone,
	"lastFailureAt" timestamp with time zone,
	"createdBy" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_endpointId_event_endpoints_id_fk" FOREIGN KEY ("endpointId") REFERENCES "public"."event_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_delivery_attempts" ADD CONSTRAINT "event_delivery_attempts_deliveryId_event_deliveries_id_fk" FOREIGN KEY ("deliveryId") REFERENCES "public"."event_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_deliveries_endpoint_idx" ON "event_deliveries" USING btree ("endpointId","createdAt");--> statement-breakpoint
CREATE INDEX "event_endpoints_enabled_idx" ON "event_endpoints" USING btree ("enabled");