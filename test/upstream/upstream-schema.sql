-- The schema as the Go backend's SQL leaves a working database (reference/upstream-backend.md
-- §2.1–2.2: schema_01, schema_migrate_missing_tables, 05…15, then the schema_migrate_* files; the
-- Prisma-era camelCase names, TIMESTAMP without time zone, hytale_audit_logs never created).
-- Written from the reference for the adoption tests; not a copy of upstream's files.

CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password TEXT,
  username TEXT,
  "firstName" TEXT,
  "lastName" TEXT,
  roles TEXT[] DEFAULT '{MEMBER}',
  "isPterodactylAdmin" BOOLEAN DEFAULT false,
  "isVirtfusionAdmin" BOOLEAN DEFAULT false,
  "isSystemAdmin" BOOLEAN DEFAULT false,
  "pterodactylId" INT,
  "virtfusionId" INT,
  "isMigrated" BOOLEAN DEFAULT false,
  "emailVerified" TIMESTAMP,
  "isActive" BOOLEAN DEFAULT true,
  "avatarUrl" TEXT,
  "companyName" TEXT,
  "phoneNumber" TEXT,
  "billingEmail" TEXT,
  "accountBalance" DECIMAL(10,2) DEFAULT 0,
  "accountStatus" TEXT DEFAULT 'active',
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "lastLoginAt" TIMESTAMP,
  "lastSyncedAt" TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_users_email ON users(email);
CREATE INDEX IF NOT EXISTS idx_users_pterodactyl_id ON users("pterodactylId");
CREATE INDEX IF NOT EXISTS idx_users_virtfusion_id ON users("virtfusionId");

CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  "sessionToken" TEXT UNIQUE NOT NULL,
  "userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires TIMESTAMP NOT NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions("userId");
CREATE INDEX IF NOT EXISTS idx_sessions_expires ON sessions(expires);

CREATE TABLE IF NOT EXISTS verification_tokens (
  identifier TEXT NOT NULL,
  token TEXT UNIQUE NOT NULL,
  expires TIMESTAMP NOT NULL,
  type TEXT DEFAULT 'email',
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE (identifier, token)
);

CREATE TABLE IF NOT EXISTS password_reset_tokens (
  id TEXT PRIMARY KEY,
  "userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token TEXT UNIQUE NOT NULL,
  "expiresAt" TIMESTAMP NOT NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS locations (
  id INT PRIMARY KEY,
  "shortCode" TEXT UNIQUE NOT NULL,
  description TEXT,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS nodes (
  id INT PRIMARY KEY,
  uuid TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  fqdn TEXT NOT NULL,
  scheme TEXT DEFAULT 'https',
  "behindProxy" BOOLEAN DEFAULT false,
  "panelType" TEXT DEFAULT 'pterodactyl',
  memory BIGINT DEFAULT 0,
  "memoryOverallocate" INT DEFAULT 0,
  disk BIGINT DEFAULT 0,
  "diskOverallocate" INT DEFAULT 0,
  "isPublic" BOOLEAN DEFAULT true,
  "isMaintenanceMode" BOOLEAN DEFAULT false,
  "daemonListenPort" INT DEFAULT 8080,
  "daemonSftpPort" INT DEFAULT 2022,
  "daemonBase" TEXT DEFAULT '/var/lib/pterodactyl/volumes',
  "locationId" INT NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_nodes_location ON nodes("locationId");

CREATE TABLE IF NOT EXISTS nests (
  id INT PRIMARY KEY,
  uuid TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  author TEXT,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS eggs (
  id INT PRIMARY KEY,
  uuid TEXT UNIQUE NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  author TEXT,
  "panelType" TEXT DEFAULT 'pterodactyl',
  "nestId" INT NOT NULL REFERENCES nests(id) ON DELETE CASCADE,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS egg_variables (
  id INT PRIMARY KEY,
  egg_id INT NOT NULL REFERENCES eggs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT,
  env_variable TEXT NOT NULL,
  default_value TEXT,
  user_viewable BOOLEAN DEFAULT true,
  user_editable BOOLEAN DEFAULT true,
  rules TEXT,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS products (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS servers (
  id TEXT PRIMARY KEY,
  "serverType" TEXT DEFAULT 'game_server',
  "pterodactylId" INT UNIQUE,
  "virtfusionId" INT UNIQUE,
  uuid TEXT UNIQUE,
  "uuidShort" TEXT,
  "externalId" TEXT,
  "panelType" TEXT DEFAULT 'pterodactyl',
  "eggId" INT REFERENCES eggs(id) ON DELETE SET NULL,
  "nestId" INT REFERENCES nests(id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  description TEXT,
  status TEXT DEFAULT 'installing',
  "isSuspended" BOOLEAN DEFAULT false,
  memory INT DEFAULT 0,
  disk INT DEFAULT 0,
  cpu INT DEFAULT 0,
  "productId" TEXT REFERENCES products(id) ON DELETE SET NULL,
  "ownerId" TEXT REFERENCES users(id) ON DELETE CASCADE,
  "nodeId" INT REFERENCES nodes(id) ON DELETE SET NULL,
  config JSONB DEFAULT '{}',
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "installedAt" TIMESTAMP,
  "lastSyncedAt" TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_servers_uuid ON servers(uuid);
CREATE INDEX IF NOT EXISTS idx_servers_server_type ON servers("serverType");
CREATE INDEX IF NOT EXISTS idx_servers_owner ON servers("ownerId");
CREATE INDEX IF NOT EXISTS idx_servers_node ON servers("nodeId");
CREATE INDEX IF NOT EXISTS idx_servers_status ON servers(status);
CREATE INDEX IF NOT EXISTS idx_servers_owner_type ON servers("ownerId", "serverType");

CREATE TABLE IF NOT EXISTS allocations (
  id INT PRIMARY KEY,
  ip TEXT NOT NULL,
  port INT NOT NULL,
  alias TEXT,
  notes TEXT,
  "isAssigned" BOOLEAN DEFAULT false,
  "nodeId" INT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  "serverId" TEXT REFERENCES servers(id) ON DELETE SET NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE (ip, port)
);

CREATE TABLE IF NOT EXISTS server_databases (
  id TEXT PRIMARY KEY,
  "serverId" TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  port INT DEFAULT 3306,
  "databaseName" TEXT NOT NULL,
  username TEXT NOT NULL,
  password TEXT NOT NULL,
  "maxConnections" INT DEFAULT 100,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS server_properties (
  id TEXT PRIMARY KEY,
  "serverId" TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE ("serverId", key)
);

CREATE TABLE IF NOT EXISTS server_subusers (
  id TEXT PRIMARY KEY,
  "serverId" TEXT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  "userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  permissions TEXT[] DEFAULT '{}',
  "accessLevel" TEXT DEFAULT 'user',
  "accessConfig" JSONB DEFAULT '{}',
  "isOwner" BOOLEAN DEFAULT false,
  "addedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "lastSyncedAt" TIMESTAMP,
  UNIQUE ("serverId", "userId")
);
CREATE INDEX IF NOT EXISTS idx_server_subusers_owner ON server_subusers("serverId") WHERE "isOwner" = true;

CREATE TABLE IF NOT EXISTS support_tickets (
  id TEXT PRIMARY KEY,
  "ticketNumber" TEXT UNIQUE NOT NULL,
  "userId" TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  "serverId" TEXT REFERENCES servers(id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT DEFAULT 'open',
  priority TEXT DEFAULT 'medium',
  category TEXT,
  "assignedToId" TEXT REFERENCES users(id) ON DELETE SET NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "closedAt" TIMESTAMP
);

CREATE TABLE IF NOT EXISTS invoices (
  id TEXT PRIMARY KEY,
  "userId" TEXT REFERENCES users(id) ON DELETE CASCADE,
  amount DECIMAL(10,2) NOT NULL,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS discord_webhooks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  "webhookUrl" TEXT NOT NULL,
  type TEXT DEFAULT 'SYSTEM',
  scope TEXT DEFAULT 'ADMIN',
  description TEXT,
  enabled BOOLEAN DEFAULT true,
  "testSuccessAt" TIMESTAMP,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_discord_webhooks_type ON discord_webhooks(type);
CREATE INDEX IF NOT EXISTS idx_discord_webhooks_scope ON discord_webhooks(scope);
CREATE INDEX IF NOT EXISTS idx_discord_webhooks_enabled ON discord_webhooks(enabled);

CREATE TABLE IF NOT EXISTS sync_logs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  status TEXT DEFAULT 'pending',
  "itemsTotal" INT DEFAULT 0,
  "itemsSynced" INT DEFAULT 0,
  "itemsFailed" INT DEFAULT 0,
  "startedAt" TIMESTAMP,
  "completedAt" TIMESTAMP,
  "durationSeconds" INT,
  error TEXT,
  -- TEXT as in Prisma-era databases (schema_07 says JSONB; both hold upstream's strings).
  metadata TEXT,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_sync_logs_type ON sync_logs(type);
CREATE INDEX IF NOT EXISTS idx_sync_logs_status ON sync_logs(status);
CREATE INDEX IF NOT EXISTS idx_sync_logs_created ON sync_logs("createdAt");
CREATE INDEX IF NOT EXISTS idx_sync_logs_started ON sync_logs("startedAt");

CREATE TABLE IF NOT EXISTS config (
  id TEXT PRIMARY KEY,
  key TEXT UNIQUE NOT NULL,
  value TEXT NOT NULL,
  description TEXT,
  "isPublic" BOOLEAN DEFAULT false,
  "createdAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS hytale_oauth_tokens (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id UUID UNIQUE NOT NULL,
  access_token TEXT NOT NULL,
  refresh_token TEXT NOT NULL,
  access_token_expiry TIMESTAMP NOT NULL,
  profile_uuid UUID,
  scope TEXT DEFAULT 'openid offline auth:server',
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  last_refreshed_at TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_hytale_oauth_tokens_expiry ON hytale_oauth_tokens(access_token_expiry);

CREATE TABLE IF NOT EXISTS hytale_game_sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id UUID NOT NULL,
  profile_uuid UUID NOT NULL,
  server_id TEXT,
  session_token TEXT NOT NULL,
  identity_token TEXT NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  UNIQUE (account_id, profile_uuid)
);
ALTER TABLE hytale_game_sessions ADD COLUMN IF NOT EXISTS "serverId" TEXT REFERENCES servers(id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS idx_hytale_game_sessions_expires ON hytale_game_sessions(expires_at);

CREATE TABLE IF NOT EXISTS hytale_server_logs (
  id BIGSERIAL PRIMARY KEY,
  "serverUuid" TEXT NOT NULL REFERENCES servers(uuid) ON DELETE CASCADE,
  "accountId" VARCHAR(255) NOT NULL,
  "logLine" TEXT NOT NULL,
  "logTimestamp" TIMESTAMPTZ DEFAULT NOW(),
  "createdAt" TIMESTAMPTZ DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_hytale_server_logs_server ON hytale_server_logs("serverUuid");
CREATE INDEX IF NOT EXISTS idx_hytale_server_logs_created ON hytale_server_logs("createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_hytale_server_logs_server_created ON hytale_server_logs("serverUuid", "createdAt" DESC);
CREATE INDEX IF NOT EXISTS idx_hytale_server_logs_account ON hytale_server_logs("accountId");

CREATE TABLE IF NOT EXISTS hytale_log_sync_state (
  id SERIAL PRIMARY KEY,
  "serverUuid" TEXT UNIQUE NOT NULL REFERENCES servers(uuid) ON DELETE CASCADE,
  "lastSyncTime" TIMESTAMPTZ DEFAULT NOW(),
  "lastLineId" BIGINT DEFAULT 0,
  "syncStatus" TEXT DEFAULT 'pending',
  "errorMessage" TEXT,
  "updatedAt" TIMESTAMPTZ DEFAULT NOW()
);
