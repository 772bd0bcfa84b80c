CREATE TABLE "cron_runs" (
	"cron" text NOT NULL,
	"scheduledAt" timestamp with time zone NOT NULL,
	"jobIds" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cron_runs_cron_scheduledAt_pk" PRIMARY KEY("cron","scheduledAt")
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "job_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"jobId" text NOT NULL,
	"queue" text NOT NULL,
	"jobType" text NOT NULL,
	"outcome" text NOT NULL,
	"attempt" integer NOT NULL,
	"durationMs" integer,
	"enqueuedAt" timestamp with time zone,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dead_jobs" ADD COLUMN "replayedAt" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "dead_jobs" ADD COLUMN "replayJobId" text;--> statement-breakpoint
CREATE INDEX "cron_runs_scheduledAt_idx" ON "cron_runs" USING btree ("scheduledAt");--> statement-breakpoint
CREATE INDEX "job_runs_at_idx" ON "job_runs" USING btree ("at");--> statement-breakpoint
CREATE INDEX "job_runs_jobId_idx" ON "job_runs" USING btree ("jobId");--> statement-breakpoint
CREATE INDEX "dead_jobs_queue_idx" ON "dead_jobs" USING btree ("queue");