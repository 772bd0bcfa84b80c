// RateLimiter Durable Object: one object per limit key holding one token bucket in its SQLite
// storage. Reads and writes are synchronous SQL with no outside I/O between them, so concurrent
// requests are admitted exactly. An alarm deletes the bucket once it is full again (idle).
import { DurableObject } from "cloudflare:workers";
import {
  type BucketLimit,
  type BucketState,
  give,
  type ReserveResult,
  refill,
  reserve,
  type TakeResult,
  take,
} from "./bucket.ts";

export class RateLimiter extends DurableObject {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.createTable();
  }

  private createTable(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, updated_at INTEGER NOT NULL, capacity REAL NOT NULL, period_ms INTEGER NOT NULL)",
    );
  }

  private read(): (BucketState & { limit: BucketLimit }) | undefined {
    const row = this.ctx.storage.sql
      .exec<{ tokens: number; updated_at: number; capacity: number; period_ms: number }>(
        "SELECT tokens, updated_at, capacity, period_ms FROM bucket WHERE id = 1",
      )
      .toArray()[0];
    return row
      ? {
          tokens: row.tokens,
          updatedAt: row.updated_at,
          limit: { capacity: row.capacity, periodMs: row.period_ms },
        }
      : undefined;
  }

  /** Takes `cost` tokens if available; the state is persisted on every call. */
  async take(limit: BucketLimit, cost = 1, now = Date.now()): Promise<TakeResult> {
    const result = take(this.read(), limit, now, cost);
    this.ctx.storage.sql.exec(
      "INSERT INTO bucket (id, tokens, updated_at, capacity, period_ms) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at, capacity = excluded.capacity, period_ms = excluded.period_ms",
      result.state.tokens,
      result.state.updatedAt,
      limit.capacity,
      limit.periodMs,
    );
    await this.ctx.storage.setAlarm(result.resetAt + 1000);
    return result;
  }

  /** Takes a token now or reserves one that is there within `maxWaitMs` (bucket.ts `reserve`). */
  async reserve(limit: BucketLimit, maxWaitMs: number, now = Date.now()): Promise<ReserveResult> {
    const result = reserve(this.read(), limit, now, maxWaitMs);
    if (result.allowed) await this.store(result.state, limit, now);
    return result;
  }

  /**
   * Takes up to `want` tokens but never below `keep` left (a batch of best-effort reads that must
   * leave room for what matters more); `granted` may be 0. Exact like take(): no I/O in between.
   */
  async takeUpTo(
    limit: BucketLimit,
    want: number,
    keep: number,
    now = Date.now(),
  ): Promise<{ granted: number; remaining: number }> {
    const available = Math.floor(refill(this.read(), limit, now).tokens + 1e-9);
    const granted = Math.max(0, Math.min(Math.floor(want), available - Math.max(0, keep)));
    if (granted === 0) return { granted, remaining: available };
    const result = await this.take(limit, granted, now);
    return { granted: result.allowed ? granted : 0, remaining: result.remaining };
  }

  /**
   * Lowers the bucket to at most `tokens` (a peer told us how much budget it really has left,
   * e.g. the panel's X-RateLimit-Remaining). Never raises it.
   */
  async clamp(limit: BucketLimit, tokens: number, now = Date.now()): Promise<BucketState> {
    const current = refill(this.read(), limit, now);
    // Never raises: a bucket below zero holds reservations that must stay counted.
    return this.store(
      { tokens: Math.min(current.tokens, Math.max(0, tokens)), updatedAt: current.updatedAt },
      limit,
      now,
    );
  }

  /** Gives back a token taken for an attempt that should not count (e.g. a successful login). */
  async refund(limit: BucketLimit, cost = 1, now = Date.now()): Promise<BucketState> {
    return this.store(give(this.read(), limit, now, cost), limit, now);
  }

  /** Writes a corrected state (the limit's shape kept as stored) and re-arms the idle alarm. */
  private async store(next: BucketState, limit: BucketLimit, now: number): Promise<BucketState> {
    this.ctx.storage.sql.exec(
      "INSERT INTO bucket (id, tokens, updated_at, capacity, period_ms) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
      next.tokens,
      next.updatedAt,
      limit.capacity,
      limit.periodMs,
    );
    await this.ctx.storage.setAlarm(take(next, limit, now, 0).resetAt + 1000);
    return next;
  }

  /** Current state without taking (for admin views and tests). */
  peek(): BucketState | undefined {
    const row = this.read();
    return row ? { tokens: row.tokens, updatedAt: row.updatedAt } : undefined;
  }

  override async alarm(): Promise<void> {
    const row = this.read();
    if (!row) return;
    // Full again means idle: forget the bucket (a new one starts full, so nothing changes).
    if (refill(row, row.limit, Date.now()).tokens >= row.limit.capacity) {
      // One synchronous statement: a take() arriving meanwhile must still find the table.
      this.ctx.storage.sql.exec("DELETE FROM bucket");
      await this.ctx.storage.deleteAlarm();
    } else await this.ctx.storage.setAlarm(take(row, row.limit, Date.now(), 0).resetAt + 1000);
  }
}
