// Demo panel: PanelData, the live dataset a demo panel serves, with the mutation helpers tests use
// to change the panel between syncs (each keeps the panel's own invariants and refreshes indexes).
import type { Allocation, Server, Subuser, User } from "./model.ts";
import { fail, PanelStore } from "./panel-store.ts";

export type NewUser = Partial<Omit<User, "id" | "createdAt" | "updatedAt">> & { email: string };
export type NewServer = Partial<Omit<Server, "id" | "allocationId" | "createdAt" | "updatedAt">> & {
  ownerId: number;
};

export class PanelData extends PanelStore {
  private assertEmailFree(email: string, exceptId: number | null): void {
    const other = this.userByEmail(email);
    if (other && other.id !== exceptId) fail(`e-mail ${email} is taken by user ${other.id}`);
  }

  addUser(input: NewUser): User {
    this.assertEmailFree(input.email, null);
    const id = this.nextId(this.tables.users);
    const now = this.now();
    const username = (input.username ?? `user${id}`).toLowerCase();
    for (const u of this.tables.users.values())
      if (u.username === username) fail(`username ${username} taken`);
    const user: User = {
      externalId: null,
      uuid: this.rng.uuid(),
      firstName: "New",
      lastName: "User",
      language: "en",
      rootAdmin: false,
      useTotp: false,
      ...input,
      id,
      username,
      createdAt: now,
      updatedAt: now,
    };
    this.tables.users.set(id, user);
    this.touch();
    return user;
  }

  updateUser(id: number, patch: Partial<Omit<User, "id">>): User {
    const user = this.user(id);
    if (patch.email !== undefined) this.assertEmailFree(patch.email, id);
    Object.assign(user, patch, { updatedAt: this.now() });
    this.touch();
    return user;
  }

  renameUserEmail(id: number, email: string): User {
    return this.updateUser(id, { email });
  }

  /** Deletes a user like the panel does: refused while they own servers; subuser rows go with them. */
  removeUser(id: number): void {
    this.user(id);
    for (const s of this.tables.servers.values())
      if (s.ownerId === id) fail(`user ${id} owns server ${s.id}`);
    for (const [sid, sub] of this.tables.subusers) if (sub.userId === id) this.tables.subusers.delete(sid);
    this.tables.users.delete(id);
    this.touch();
  }

  /** A new server on `nodeId` (default: the node with the most free allocations), using a free allocation. */
  addServer(input: NewServer): Server {
    this.user(input.ownerId);
    const free = (nodeId: number) =>
      (this.indexes.allocationsByNode.get(nodeId) ?? []).filter((a) => a.serverId === null);
    let nodeId = input.nodeId;
    if (nodeId === undefined) {
      let best = -1;
      for (const n of this.tables.nodes.values()) {
        const count = free(n.id).length;
        if (count > best) [best, nodeId] = [count, n.id];
      }
    }
    if (nodeId === undefined || !this.tables.nodes.has(nodeId)) fail(`no node ${String(nodeId)}`);
    const allocation = free(nodeId)[0] ?? fail(`node ${nodeId} has no free allocation`);
    const egg = this.tables.eggs.get(input.eggId ?? 1) ?? fail(`no egg ${String(input.eggId)}`);
    let uuid = this.rng.uuid();
    while (this.indexes.serverByIdentifier.has(uuid.slice(0, 8))) uuid = this.rng.uuid();
    const id = this.nextId(this.tables.servers);
    const now = this.now();
    const server: Server = {
      externalId: null,
      uuid,
      identifier: uuid.slice(0, 8),
      name: `Server ${id}`,
      description: "",
      status: null,
      skipScripts: false,
      memory: 1024,
      swap: 0,
      disk: 5120,
      io: 500,
      cpu: 100,
      threads: null,
      oomDisabled: true,
      databaseLimit: 0,
      allocationLimit: 0,
      backupLimit: 0,
      startup: egg.startup,
      image: Object.values(egg.dockerImages)[0] ?? "",
      variables: new Map(),
      ...input,
      id,
      nodeId,
      eggId: egg.id,
      nestId: egg.nestId,
      allocationId: allocation.id,
      createdAt: now,
      updatedAt: now,
    };
    this.tables.servers.set(id, server);
    allocation.serverId = id;
    this.touch();
    return server;
  }

  updateServer(id: number, patch: Partial<Omit<Server, "id">>): Server {
    const server = this.server(id);
    Object.assign(server, patch, { updatedAt: this.now() });
    this.touch();
    return server;
  }

  /** Deletes a server: its allocations become free, its subusers and databases go with it. */
  removeServer(id: number): void {
    this.server(id);
    for (const a of this.tables.allocations.values()) if (a.serverId === id) a.serverId = null;
    for (const [sid, sub] of this.tables.subusers) if (sub.serverId === id) this.tables.subusers.delete(sid);
    for (const [did, db] of this.tables.databases) if (db.serverId === id) this.tables.databases.delete(did);
    this.tables.servers.delete(id);
    this.touch();
  }

  /** A new allocation; ip:port must be unique on that node only (as in the panel). */
  addAllocation(input: {
    nodeId: number;
    ip: string;
    port: number;
    alias?: string | null;
    notes?: string | null;
  }) {
    if (!this.tables.nodes.has(input.nodeId)) fail(`no node ${input.nodeId}`);
    for (const a of this.indexes.allocationsByNode.get(input.nodeId) ?? []) {
      if (a.ip === input.ip && a.port === input.port)
        fail(`${input.ip}:${input.port} exists on node ${a.nodeId}`);
    }
    const id = this.nextId(this.tables.allocations);
    const now = this.now();
    const allocation: Allocation = {
      alias: null,
      notes: null,
      ...input,
      id,
      serverId: null,
      createdAt: now,
      updatedAt: now,
    };
    this.tables.allocations.set(id, allocation);
    this.touch();
    return allocation;
  }

  /** Deletes an allocation; refused for a server's default allocation, like the panel. */
  removeAllocation(id: number): void {
    const allocation = this.tables.allocations.get(id) ?? fail(`no allocation ${id}`);
    const owner = allocation.serverId === null ? undefined : this.tables.servers.get(allocation.serverId);
    if (owner && owner.allocationId === id) fail(`allocation ${id} is the default of server ${owner.id}`);
    this.tables.allocations.delete(id);
    this.touch();
  }

  /** Gives a free allocation on the server's node to the server as an extra (or frees it with null). */
  assignAllocation(allocationId: number, serverId: number | null): Allocation {
    const allocation = this.tables.allocations.get(allocationId) ?? fail(`no allocation ${allocationId}`);
    if (serverId !== null) {
      const server = this.server(serverId);
      if (server.nodeId !== allocation.nodeId) fail(`allocation ${allocationId} is on another node`);
      if (allocation.serverId !== null && allocation.serverId !== serverId) fail("allocation in use");
    } else if (
      allocation.serverId !== null &&
      this.server(allocation.serverId).allocationId === allocationId
    ) {
      fail(`allocation ${allocationId} is a default allocation`);
    }
    allocation.serverId = serverId;
    this.touch();
    return allocation;
  }

  addSubuser(serverId: number, userId: number, permissions: string[] = ["websocket.connect"]): Subuser {
    const server = this.server(serverId);
    this.user(userId);
    if (server.ownerId === userId) fail(`user ${userId} owns server ${serverId}`);
    for (const s of this.indexes.subusersByServer.get(serverId) ?? []) {
      if (s.userId === userId) fail(`user ${userId} is already a subuser of ${serverId}`);
    }
    const id = this.nextId(this.tables.subusers);
    const now = this.now();
    const sub: Subuser = { id, userId, serverId, permissions, createdAt: now, updatedAt: now };
    this.tables.subusers.set(id, sub);
    this.touch();
    return sub;
  }

  removeSubuser(id: number): void {
    if (!this.tables.subusers.delete(id)) fail(`no subuser ${id}`);
    this.touch();
  }

  /** Sets server_variables by env name (unknown names are ignored, as the panel does). */
  setServerEnvironment(serverId: number, environment: Record<string, string>): Server {
    const server = this.server(serverId);
    for (const v of this.indexes.variablesByEgg.get(server.eggId) ?? []) {
      const value = environment[v.envVariable];
      if (value !== undefined) server.variables.set(v.id, value);
    }
    server.updatedAt = this.now();
    return server;
  }
}
