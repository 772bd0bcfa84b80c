// Demo panel: the mutations a hostile-but-real panel performs between (and during) syncs: set any
// text field of any row (NUL, emoji, RTL, long or SQL-looking strings, as customers type them),
// delete a node with its allocations, re-create a location, egg or allocation under a new id with
// the same natural key (short code, uuid, node+ip+port), and drop the first servers of the listing.
import type { PanelTables } from "./model.ts";
import { PanelData } from "./panel-data.ts";
import { fail } from "./panel-store.ts";

type TableName = Exclude<keyof PanelTables, "subusers" | "databaseHosts">;

export class MutablePanelData extends PanelData {
  /** Sets fields of one row of any table (`{name: "\u0000"}`): the raw write a panel's own forms allow. */
  setFields(table: TableName, id: number, patch: Record<string, unknown>): unknown {
    const rows = this.tables[table] as unknown as Map<number, Record<string, unknown>>;
    const row = rows.get(id) ?? fail(`no ${table} ${id}`);
    Object.assign(row, patch, { updatedAt: this.now() });
    this.touch();
    return row;
  }

  /** A new node in `locationId` (a copy of node 1's settings) with `allocations` free allocations. */
  addNode(locationId: number, allocations = 3): number {
    const template = this.tables.nodes.values().next().value ?? fail("no node to copy");
    if (!this.tables.locations.has(locationId)) fail(`no location ${locationId}`);
    const id = this.nextId(this.tables.nodes);
    const now = this.now();
    this.tables.nodes.set(id, {
      ...template,
      id,
      uuid: this.rng.uuid(),
      name: `node-${id}`,
      fqdn: `node-${id}.demo.test`,
      locationId,
      createdAt: now,
      updatedAt: now,
    });
    for (let i = 0; i < allocations; i++)
      this.addAllocation({ nodeId: id, ip: "10.9.9.9", port: 30_000 + i });
    this.touch();
    return id;
  }

  /** Deletes a node with its allocations (the panel refuses while servers use it; the demo forces it). */
  removeNode(id: number): void {
    if (!this.tables.nodes.delete(id)) fail(`no node ${id}`);
    for (const [aid, a] of this.tables.allocations) if (a.nodeId === id) this.tables.allocations.delete(aid);
    for (const s of this.tables.servers.values()) if (s.nodeId === id) this.removeServer(s.id);
    this.touch();
  }

  /** Deletes location `id` and creates it again (same short code) under a new id; its nodes move along. */
  recreateLocation(id: number): number {
    const old = this.tables.locations.get(id) ?? fail(`no location ${id}`);
    const next = this.nextId(this.tables.locations);
    this.tables.locations.delete(id);
    this.tables.locations.set(next, { ...old, id: next, createdAt: this.now(), updatedAt: this.now() });
    for (const n of this.tables.nodes.values()) if (n.locationId === id) n.locationId = next;
    this.touch();
    return next;
  }

  /** Deletes egg `id` and imports it again (same uuid) under a new id; variables and servers follow. */
  recreateEgg(id: number): number {
    const old = this.tables.eggs.get(id) ?? fail(`no egg ${id}`);
    const next = this.nextId(this.tables.eggs);
    this.tables.eggs.delete(id);
    this.tables.eggs.set(next, { ...old, id: next, createdAt: this.now(), updatedAt: this.now() });
    for (const v of this.tables.eggVariables.values()) {
      if (v.eggId !== id) continue;
      const vid = this.nextId(this.tables.eggVariables);
      this.tables.eggVariables.delete(v.id);
      this.tables.eggVariables.set(vid, { ...v, id: vid, eggId: next });
    }
    for (const s of this.tables.servers.values()) if (s.eggId === id) s.eggId = next;
    this.touch();
    return next;
  }

  /** Deletes allocation `id` and adds the same node+ip+port under a new id (its server keeps it). */
  recreateAllocation(id: number): number {
    const old = this.tables.allocations.get(id) ?? fail(`no allocation ${id}`);
    const next = this.nextId(this.tables.allocations);
    this.tables.allocations.delete(id);
    this.tables.allocations.set(next, { ...old, id: next, createdAt: this.now(), updatedAt: this.now() });
    for (const s of this.tables.servers.values()) if (s.allocationId === id) s.allocationId = next;
    this.touch();
    return next;
  }

  /** Removes the first `count` servers in listing order (what a delete mid-walk does to later pages). */
  removeFirstServers(count: number): number[] {
    const ids = [...this.tables.servers.keys()].sort((a, b) => a - b).slice(0, count);
    for (const id of ids) this.removeServer(id);
    return ids;
  }
}
