// The chain protocol: a run is a sequence of `sync.page` messages, each naming the cursor `seq`
// it expects. Message ids are derived from (run, seq, waits, nonce), so a duplicate send is the
// same job; a message that arrives before its predecessor committed re-queues itself (a fresh
// message, up to MAX_EARLY_WAITS times) instead of using up its retries.
import type { Deps } from "../../platform/deps.ts";

export interface PageMessage {
  syncLogId: string;
  seq: number;
  waits?: number;
  /** Makes a re-drive (watchdog) a distinct queue message id. */
  nonce?: string;
}

/** Pages handled per message; the next message is sent before the group's last commit. */
export const GROUP = 4;
/** A message stops early (and hands over) after this long. */
export const TIME_BOX_MS = 20_000;
export const MAX_EARLY_WAITS = 90;
const EARLY_WAIT_SECONDS = 2;

export function isPageMessage(payload: unknown): payload is PageMessage {
  const msg = payload as PageMessage;
  return typeof msg?.syncLogId === "string" && typeof msg.seq === "number";
}

export function sendPage(deps: Pick<Deps, "enqueue">, msg: PageMessage, delaySeconds?: number) {
  // jobs-critical (batch 1, no batch wait): a run is a sequential chain, so every second a
  // message waits for its batch to fill adds up over hundreds of pages.
  return deps.enqueue("sync.page", msg, {
    priority: "critical",
    id: `sync:${msg.syncLogId}:${msg.seq}:${msg.waits ?? 0}${msg.nonce ? `:${msg.nonce}` : ""}`,
    delaySeconds,
  });
}

/**
 * A message whose seq is ahead of the committed cursor: come back shortly. Returns false when
 * the wait budget is spent (the watchdog takes over).
 */
export async function waitForPredecessor(deps: Pick<Deps, "enqueue">, msg: PageMessage): Promise<boolean> {
  if ((msg.waits ?? 0) >= MAX_EARLY_WAITS) return false;
  await sendPage(deps, { ...msg, waits: (msg.waits ?? 0) + 1 }, EARLY_WAIT_SECONDS);
  return true;
}
