CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"keyHash" text NOT NULL,
	"scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"createdBy" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastUsedAt" timestamp with time zone,
	"revokedAt" timestamp with time zone,
	"expiresAt" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"action" text NOT NULL,
	"actorType" text NOT NULL,
	"actorId" text,
	"targetType" text,
	"targetId" text,
	"ip" text,
	"userAgent" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_logs_actorType_check" CHECK ("actorType" IN ('user', 'api_key', 'system', 'anonymous'))
);
--> statement-breakpoint
CREATE TABLE "password_reset_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"userId" text NOT NULL,
	"token" text NOT NULL,
	"expiresAt" timestamp with time zone NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"userId" text NOT NULL,
	"familyId" text NOT NULL,
	"tokenHash" text NOT NULL,
	"expiresAt" timestamp with time zone NOT NULL,
	"rotatedAt" timestamp with time zone,
	"revokedAt" timestamp with time zone,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"userAgent" text,
	"ip" text
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"sessionToken" text NOT NULL,
	"userId" text NOT NULL,
	"expires" timestamp with time zone NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password" text,
	"username" text,
	"firstName" text,
	"lastName" text,
	"roles" text[] DEFAULT '{MEMBER}'::text[] NOT NULL,
	"isPterodactylAdmin" boolean DEFAULT false NOT NULL,
	"isVirtfusionAdmin" boolean DEFAULT false NOT NULL,
	"isSystemAdmin" boolean DEFAULT false NOT NULL,
	"pterodactylId" integer,
	"virtfusionId" integer,
	"isMigrated" boolean DEFAULT false NOT NULL,
	"emailVerified" timestamp with time zone,
	"isActive" boolean DEFAULT true NOT NULL,
	"avatarUrl" text,
	"companyName" text,
	"phoneNumber" text,
	"billingEmail" text,
	"accountBalance" numeric(10, 2) DEFAULT '0' NOT NULL,
	"accountStatus" text DEFAULT 'active' NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastLoginAt" timestamp with time zone,
	"lastSyncedAt" timestamp with time zone,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "verification_tokens" (
	"identifier" text NOT NULL,
	"token" text NOT NULL,
	"expires" timestamp with time zone NOT NULL,
	"type" text DEFAULT 'email' NOT NULL,
	"data" jsonb,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "verification_tokens_identifier_token_pk" PRIMARY KEY("identifier","token")
);
--> statement-breakpoint
CREATE TABLE "hytale_audit_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"accountId" text NOT NULL,
	"profileId" uuid,
	"eventType" text NOT NULL,
	"details" text,
	"ipAddress" text,
	"userAgent" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hytale_audit_logs_eventType_check" CHECK ("eventType" IN ('TOKEN_CREATED', 'TOKEN_REFRESHED', 'TOKEN_DELETED', 'AUTH_FAILED', 'SESSION_CREATED', 'SESSION_REFRESHED', 'SESSION_DELETED', 'PROFILE_SELECTED'))
);
--> statement-breakpoint
CREATE TABLE "hytale_game_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" text NOT NULL,
	"profile_uuid" uuid NOT NULL,
	"server_id" text,
	"session_token" text NOT NULL,
	"identity_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hytale_log_sync_state" (
	"id" serial PRIMARY KEY NOT NULL,
	"serverUuid" text NOT NULL,
	"lastSyncTime" timestamp with time zone DEFAULT now(),
	"lastLineId" bigint DEFAULT 0 NOT NULL,
	"syncStatus" text DEFAULT 'pending' NOT NULL,
	"errorMessage" text,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hytale_log_sync_state_serverUuid_key" UNIQUE("serverUuid")
);
--> statement-breakpoint
CREATE TABLE "hytale_oauth_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" text NOT NULL,
	"access_token" text NOT NULL,
	"refresh_token" text NOT NULL,
	"access_token_expiry" timestamp with time zone NOT NULL,
	"profile_uuid" uuid,
	"scope" text DEFAULT 'openid offline auth:server' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_refreshed_at" timestamp with time zone,
	CONSTRAINT "hytale_oauth_tokens_account_id_key" UNIQUE("account_id")
);
--> statement-breakpoint
CREATE TABLE "hytale_server_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "hytale_server_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"serverUuid" text NOT NULL,
	"accountId" text NOT NULL,
	"logLine" text NOT NULL,
	"logTimestamp" timestamp with time zone DEFAULT now() NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "config" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"description" text,
	"isPublic" boolean DEFAULT false NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dead_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"jobType" text NOT NULL,
	"body" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "discord_webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"webhookUrl" text NOT NULL,
	"type" text DEFAULT 'SYSTEM' NOT NULL,
	"scope" text DEFAULT 'ADMIN' NOT NULL,
	"description" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"testSuccessAt" timestamp with time zone,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"ticketNumber" text NOT NULL,
	"userId" text NOT NULL,
	"serverId" text,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"priority" text DEFAULT 'medium' NOT NULL,
	"category" text,
	"assignedToId" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"closedAt" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_cursors" (
	"syncLogId" text NOT NULL,
	"step" text NOT NULL,
	"cursor" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_cursors_syncLogId_step_pk" PRIMARY KEY("syncLogId","step")
);
--> statement-breakpoint
CREATE TABLE "sync_logs" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"itemsTotal" integer DEFAULT 0 NOT NULL,
	"itemsSynced" integer DEFAULT 0 NOT NULL,
	"itemsFailed" integer DEFAULT 0 NOT NULL,
	"startedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"completedAt" timestamp with time zone,
	"cancelledAt" timestamp with time zone,
	"durationSeconds" integer,
	"error" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "allocations" (
	"id" integer PRIMARY KEY NOT NULL,
	"ip" text NOT NULL,
	"port" integer NOT NULL,
	"alias" text,
	"notes" text,
	"isAssigned" boolean DEFAULT false NOT NULL,
	"nodeId" integer NOT NULL,
	"serverId" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "egg_variables" (
	"id" integer PRIMARY KEY NOT NULL,
	"egg_id" integer NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"env_variable" text NOT NULL,
	"default_value" text,
	"user_viewable" boolean DEFAULT true NOT NULL,
	"user_editable" boolean DEFAULT true NOT NULL,
	"rules" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "eggs" (
	"id" integer PRIMARY KEY NOT NULL,
	"uuid" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"author" text,
	"panelType" text DEFAULT 'pterodactyl' NOT NULL,
	"nestId" integer NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "locations" (
	"id" integer PRIMARY KEY NOT NULL,
	"shortCode" text NOT NULL,
	"description" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "nests" (
	"id" integer PRIMARY KEY NOT NULL,
	"uuid" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"author" text,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" integer PRIMARY KEY NOT NULL,
	"uuid" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"fqdn" text NOT NULL,
	"scheme" text DEFAULT 'https' NOT NULL,
	"behindProxy" boolean DEFAULT false NOT NULL,
	"panelType" text DEFAULT 'pterodactyl' NOT NULL,
	"memory" bigint DEFAULT 0 NOT NULL,
	"memoryOverallocate" integer DEFAULT 0 NOT NULL,
	"disk" bigint DEFAULT 0 NOT NULL,
	"diskOverallocate" integer DEFAULT 0 NOT NULL,
	"isPublic" boolean DEFAULT true NOT NULL,
	"isMaintenanceMode" boolean DEFAULT false NOT NULL,
	"daemonListenPort" integer DEFAULT 8080 NOT NULL,
	"daemonSftpPort" integer DEFAULT 2022 NOT NULL,
	"daemonBase" text DEFAULT '/var/lib/pterodactyl/volumes' NOT NULL,
	"locationId" integer NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "server_databases" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"pterodactylId" integer,
	"serverId" text NOT NULL,
	"host" text NOT NULL,
	"port" integer DEFAULT 3306 NOT NULL,
	"databaseName" text NOT NULL,
	"username" text NOT NULL,
	"password" text,
	"maxConnections" integer DEFAULT 100 NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "server_properties" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"serverId" text NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_subusers" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"serverId" text NOT NULL,
	"userId" text NOT NULL,
	"permissions" text[] DEFAULT '{}'::text[] NOT NULL,
	"accessLevel" text DEFAULT 'user' NOT NULL,
	"accessConfig" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"isOwner" boolean DEFAULT false NOT NULL,
	"addedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"lastSyncedAt" timestamp with time zone,
	"lastSeenSyncId" text
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" text PRIMARY KEY DEFAULT gen_random_uuid()::text NOT NULL,
	"serverType" text DEFAULT 'game_server' NOT NULL,
	"pterodactylId" integer,
	"virtfusionId" integer,
	"uuid" text,
	"uuidShort" text,
	"externalId" text,
	"panelType" text DEFAULT 'pterodactyl' NOT NULL,
	"eggId" integer,
	"nestId" integer,
	"name" text NOT NULL,
	"description" text,
	"status" text DEFAULT 'installing' NOT NULL,
	"isSuspended" boolean DEFAULT false NOT NULL,
	"memory" integer DEFAULT 0 NOT NULL,
	"disk" integer DEFAULT 0 NOT NULL,
	"cpu" integer DEFAULT 0 NOT NULL,
	"productId" text,
	"ownerId" text,
	"nodeId" integer,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"createdAt" timestamp with time zone DEFAULT now() NOT NULL,
	"updatedAt" timestamp with time zone DEFAULT now() NOT NULL,
	"installedAt" timestamp with time zone,
	"lastSyncedAt" timestamp with time zone,
	"lastSeenSyncId" text,
	CONSTRAINT "servers_uuid_key" UNIQUE("uuid")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_createdBy_users_id_fk" FOREIGN KEY ("createdBy") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "password_reset_tokens" ADD CONSTRAINT "password_reset_tokens_userId_users_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_userId_users_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_userId_users_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hytale_game_sessions" ADD CONSTRAINT "hytale_game_sessions_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hytale_log_sync_state" ADD CONSTRAINT "hytale_log_sync_state_serverUuid_servers_uuid_fk" FOREIGN KEY ("serverUuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hytale_server_logs" ADD CONSTRAINT "hytale_server_logs_serverUuid_servers_uuid_fk" FOREIGN KEY ("serverUuid") REFERENCES "public"."servers"("uuid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_tickets" ADD CONSTRAINT "support_tickets_userId_users_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_tickets" ADD CONSTRAINT "support_tickets_serverId_servers_id_fk" FOREIGN KEY ("serverId") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_tickets" ADD CONSTRAINT "support_tickets_assignedToId_users_id_fk" FOREIGN KEY ("assignedToId") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_syncLogId_sync_logs_id_fk" FOREIGN KEY ("syncLogId") REFERENCES "public"."sync_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_nodeId_nodes_id_fk" FOREIGN KEY ("nodeId") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_serverId_servers_id_fk" FOREIGN KEY ("serverId") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egg_variables" ADD CONSTRAINT "egg_variables_egg_id_eggs_id_fk" FOREIGN KEY ("egg_id") REFERENCES "public"."eggs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eggs" ADD CONSTRAINT "eggs_nestId_nests_id_fk" FOREIGN KEY ("nestId") REFERENCES "public"."nests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_locationId_locations_id_fk" FOREIGN KEY ("locationId") REFERENCES "public"."locations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_databases" ADD CONSTRAINT "server_databases_serverId_servers_id_fk" FOREIGN KEY ("serverId") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_properties" ADD CONSTRAINT "server_properties_serverId_servers_id_fk" FOREIGN KEY ("serverId") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_subusers" ADD CONSTRAINT "server_subusers_serverId_servers_id_fk" FOREIGN KEY ("serverId") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_subusers" ADD CONSTRAINT "server_subusers_userId_users_id_fk" FOREIGN KEY ("userId") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_eggId_eggs_id_fk" FOREIGN KEY ("eggId") REFERENCES "public"."eggs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_nestId_nests_id_fk" FOREIGN KEY ("nestId") REFERENCES "public"."nests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_ownerId_users_id_fk" FOREIGN KEY ("ownerId") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_nodeId_nodes_id_fk" FOREIGN KEY ("nodeId") REFERENCES "public"."nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "audit_logs_createdAt_idx" ON "audit_logs" USING btree ("createdAt" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_logs_action_idx" ON "audit_logs" USING btree ("action");--> statement-breakpoint
CREATE INDEX "audit_logs_actorId_idx" ON "audit_logs" USING btree ("actorId");--> statement-breakpoint
CREATE UNIQUE INDEX "password_reset_tokens_userId_key" ON "password_reset_tokens" USING btree ("userId");--> statement-breakpoint
CREATE UNIQUE INDEX "password_reset_tokens_token_key" ON "password_reset_tokens" USING btree ("token");--> statement-breakpoint
CREATE UNIQUE INDEX "refresh_tokens_tokenHash_key" ON "refresh_tokens" USING btree ("tokenHash");--> statement-breakpoint
CREATE INDEX "refresh_tokens_userId_idx" ON "refresh_tokens" USING btree ("userId");--> statement-breakpoint
CREATE INDEX "refresh_tokens_familyId_idx" ON "refresh_tokens" USING btree ("familyId");--> statement-breakpoint
CREATE INDEX "refresh_tokens_expiresAt_idx" ON "refresh_tokens" USING btree ("expiresAt");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_sessionToken_key" ON "sessions" USING btree ("sessionToken");--> statement-breakpoint
CREATE INDEX "sessions_userId_idx" ON "sessions" USING btree ("userId");--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_pterodactylId_key" ON "users" USING btree ("pterodactylId");--> statement-breakpoint
CREATE INDEX "users_virtfusionId_idx" ON "users" USING btree ("virtfusionId");--> statement-breakpoint
CREATE UNIQUE INDEX "verification_tokens_token_key" ON "verification_tokens" USING btree ("token");--> statement-breakpoint
CREATE INDEX "verification_tokens_expires_idx" ON "verification_tokens" USING btree ("expires");--> statement-breakpoint
CREATE INDEX "verification_tokens_identifier_type_idx" ON "verification_tokens" USING btree ("identifier","type");--> statement-breakpoint
CREATE INDEX "hytale_audit_logs_accountId_idx" ON "hytale_audit_logs" USING btree ("accountId");--> statement-breakpoint
CREATE INDEX "hytale_audit_logs_eventType_idx" ON "hytale_audit_logs" USING btree ("eventType");--> statement-breakpoint
CREATE INDEX "hytale_audit_logs_createdAt_idx" ON "hytale_audit_logs" USING btree ("createdAt" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "hytale_audit_logs_accountId_createdAt_idx" ON "hytale_audit_logs" USING btree ("accountId","createdAt" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "hytale_game_sessions_account_profile_key" ON "hytale_game_sessions" USING btree ("account_id","profile_uuid");--> statement-breakpoint
CREATE INDEX "hytale_game_sessions_expires_at_idx" ON "hytale_game_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "hytale_game_sessions_server_id_idx" ON "hytale_game_sessions" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "hytale_log_sync_state_syncStatus_idx" ON "hytale_log_sync_state" USING btree ("syncStatus");--> statement-breakpoint
CREATE INDEX "hytale_oauth_tokens_access_token_expiry_idx" ON "hytale_oauth_tokens" USING btree ("access_token_expiry");--> statement-breakpoint
CREATE INDEX "hytale_server_logs_serverUuid_idx" ON "hytale_server_logs" USING btree ("serverUuid");--> statement-breakpoint
CREATE INDEX "hytale_server_logs_createdAt_idx" ON "hytale_server_logs" USING btree ("createdAt" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "hytale_server_logs_serverUuid_createdAt_idx" ON "hytale_server_logs" USING btree ("serverUuid","createdAt" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "hytale_server_logs_accountId_idx" ON "hytale_server_logs" USING btree ("accountId");--> statement-breakpoint
CREATE UNIQUE INDEX "config_key_key" ON "config" USING btree ("key");--> statement-breakpoint
CREATE INDEX "dead_jobs_createdAt_idx" ON "dead_jobs" USING btree ("createdAt");--> statement-breakpoint
CREATE INDEX "dead_jobs_jobType_idx" ON "dead_jobs" USING btree ("jobType");--> statement-breakpoint
CREATE INDEX "discord_webhooks_type_idx" ON "discord_webhooks" USING btree ("type");--> statement-breakpoint
CREATE INDEX "discord_webhooks_scope_idx" ON "discord_webhooks" USING btree ("scope");--> statement-breakpoint
CREATE INDEX "discord_webhooks_enabled_idx" ON "discord_webhooks" USING btree ("enabled");--> statement-breakpoint
CREATE UNIQUE INDEX "support_tickets_ticketNumber_key" ON "support_tickets" USING btree ("ticketNumber");--> statement-breakpoint
CREATE INDEX "support_tickets_userId_status_idx" ON "support_tickets" USING btree ("userId","status");--> statement-breakpoint
CREATE INDEX "support_tickets_serverId_idx" ON "support_tickets" USING btree ("serverId");--> statement-breakpoint
CREATE INDEX "support_tickets_assignedToId_idx" ON "support_tickets" USING btree ("assignedToId");--> statement-breakpoint
CREATE INDEX "support_tickets_status_idx" ON "support_tickets" USING btree ("status");--> statement-breakpoint
CREATE INDEX "support_tickets_createdAt_idx" ON "support_tickets" USING btree ("createdAt");--> statement-breakpoint
CREATE INDEX "sync_logs_type_idx" ON "sync_logs" USING btree ("type");--> statement-breakpoint
CREATE INDEX "sync_logs_status_idx" ON "sync_logs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "sync_logs_createdAt_idx" ON "sync_logs" USING btree ("createdAt");--> statement-breakpoint
CREATE INDEX "sync_logs_startedAt_idx" ON "sync_logs" USING btree ("startedAt");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_logs_one_active_key" ON "sync_logs" USING btree ((true)) WHERE status in ('PENDING', 'RUNNING');--> statement-breakpoint
CREATE UNIQUE INDEX "allocations_nodeId_ip_port_key" ON "allocations" USING btree ("nodeId","ip","port");--> statement-breakpoint
CREATE INDEX "allocations_serverId_idx" ON "allocations" USING btree ("serverId");--> statement-breakpoint
CREATE INDEX "egg_variables_egg_id_idx" ON "egg_variables" USING btree ("egg_id");--> statement-breakpoint
CREATE UNIQUE INDEX "eggs_uuid_key" ON "eggs" USING btree ("uuid");--> statement-breakpoint
CREATE INDEX "eggs_nestId_idx" ON "eggs" USING btree ("nestId");--> statement-breakpoint
CREATE INDEX "eggs_panelType_idx" ON "eggs" USING btree ("panelType");--> statement-breakpoint
CREATE UNIQUE INDEX "locations_shortCode_key" ON "locations" USING btree ("shortCode");--> statement-breakpoint
CREATE UNIQUE INDEX "nests_uuid_key" ON "nests" USING btree ("uuid");--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_uuid_key" ON "nodes" USING btree ("uuid");--> statement-breakpoint
CREATE INDEX "nodes_panelType_idx" ON "nodes" USING btree ("panelType");--> statement-breakpoint
CREATE INDEX "nodes_locationId_idx" ON "nodes" USING btree ("locationId");--> statement-breakpoint
CREATE UNIQUE INDEX "server_databases_pterodactylId_key" ON "server_databases" USING btree ("pterodactylId");--> statement-breakpoint
CREATE INDEX "server_databases_serverId_idx" ON "server_databases" USING btree ("serverId");--> statement-breakpoint
CREATE UNIQUE INDEX "server_properties_serverId_key_key" ON "server_properties" USING btree ("serverId","key");--> statement-breakpoint
CREATE UNIQUE INDEX "server_subusers_serverId_userId_key" ON "server_subusers" USING btree ("serverId","userId");--> statement-breakpoint
CREATE INDEX "server_subusers_userId_idx" ON "server_subusers" USING btree ("userId");--> statement-breakpoint
CREATE INDEX "server_subusers_owner_idx" ON "server_subusers" USING btree ("serverId") WHERE "isOwner" = true;--> statement-breakpoint
CREATE INDEX "server_subusers_accessLevel_idx" ON "server_subusers" USING btree ("accessLevel");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_pterodactylId_key" ON "servers" USING btree ("pterodactylId");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_virtfusionId_key" ON "servers" USING btree ("virtfusionId");--> statement-breakpoint
CREATE INDEX "servers_serverType_idx" ON "servers" USING btree ("serverType");--> statement-breakpoint
CREATE INDEX "servers_panelType_idx" ON "servers" USING btree ("panelType");--> statement-breakpoint
CREATE INDEX "servers_ownerId_idx" ON "servers" USING btree ("ownerId");--> statement-breakpoint
CREATE INDEX "servers_nodeId_idx" ON "servers" USING btree ("nodeId");--> statement-breakpoint
CREATE INDEX "servers_productId_idx" ON "servers" USING btree ("productId");--> statement-breakpoint
CREATE INDEX "servers_status_idx" ON "servers" USING btree ("status");--> statement-breakpoint
CREATE INDEX "servers_ownerId_serverType_idx" ON "servers" USING btree ("ownerId","serverType");