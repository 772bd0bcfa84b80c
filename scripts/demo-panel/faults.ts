// Demo panel: fault injection (rules that make matching requests fail, drop, hang or slow down, each
// for a number of times) and the request statistics a test reads back.

/**
 * "remove-servers": deletes the first `count` servers of the listing, then answers normally (a
 * delete mid-walk); "empty": answers an empty listing (a misconfigured or truncated panel).
 */
export type FaultKind = "status" | "reset" | "hang" | "slow" | "429" | "remove-servers" | "empty";
const KINDS: readonly FaultKind[] = ["status", "reset", "hang", "slow", "429", "remove-servers", "empty"];

export interface FaultRule {
  /** RegExp: tested against path + query. String: the exact path (or path + query if it has "?"). */
  path: RegExp | string;
  /** Only this method (any when absent). */
  method?: string;
  kind: FaultKind;
  /** For "status": the status to answer (default 500). */
  status?: number;
  /** Fire this many times, then the rule disappears (forever when absent). */
  times?: number;
  /** For "slow": delay before answering normally (default 2000 ms). */
  delayMs?: number;
  /** For "429": the Retry-After seconds (default 1). */
  retryAfter?: number;
  /** For "remove-servers": how many (default 1). */
  count?: number;
}

export interface ActiveFault extends FaultRule {
  id: number;
  fired: number;
}

export class Faults {
  private rules: ActiveFault[] = [];
  private nextId = 1;
  /** Total firings since start (or the last resetStats()). */
  fired = 0;

  add(rule: FaultRule): ActiveFault {
    if (!KINDS.includes(rule.kind)) throw new Error(`unknown fault kind ${String(rule.kind)}`);
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
      throw new Error("times must be a positive integer");
    }
    const active: ActiveFault = { ...rule, id: this.nextId++, fired: 0 };
    this.rules.push(active);
    return active;
  }

  /** A rule from JSON (POST /__faults): `path` is a regular-expression source. */
  addFromJson(body: unknown): ActiveFault {
    if (typeof body !== "object" || body === null) throw new Error("body must be a JSON object");
    const r = body as Record<string, unknown>;
    if (typeof r.path !== "string") throw new Error("path must be a regex string");
    const num = (k: string) => (typeof r[k] === "number" ? (r[k] as number) : undefined);
    return this.add({
      path: new RegExp(r.path),
      method: typeof r.method === "string" ? r.method.toUpperCase() : undefined,
      kind: r.kind as FaultKind,
      status: num("status"),
      times: num("times"),
      delayMs: num("delayMs"),
      retryAfter: num("retryAfter"),
      count: num("count"),
    });
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule matching the request, counted as fired (and dropped once its times run out). */
  take(method: string, pathname: string, search: string): ActiveFault | null {
    const full = pathname + search;
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path instanceof RegExp) rule.path.lastIndex = 0;
      const hit =
        typeof rule.path === "string" ? rule.path === pathname || rule.path === full : rule.path.test(full);
      if (!hit) continue;
      rule.fired++;
      this.fired++;
      if (rule.times !== undefined && rule.fired >= rule.times) this.remove(rule.id);
      return { ...rule };
    }
    return null;
  }
}

export interface DemoPanelStats {
  /** Every request received, including faulted and refused ones. */
  total: number;
  /** "METHOD /route/{pattern}" → requests. */
  byRoute: Record<string, number>;
  /** Status code → responses sent. */
  byStatus: Record<string, number>;
  /** 200 answers from paginated listings (each is one page). */
  pagesServed: number;
  faultsFired: number;
  /** Requests refused by the rate limiter (not fault-injected 429s). */
  rateLimited: number;
}

export function emptyStats(): DemoPanelStats {
  return { total: 0, byRoute: {}, byStatus: {}, pagesServed: 0, faultsFired: 0, rateLimited: 0 };
}
