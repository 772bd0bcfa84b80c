// One way for any area to tell people something happened: notify(deps, event) queues a
// `notify.<type>` job (low priority, idempotent id) that the notification jobs deliver.
import type { Deps } from "../../platform/deps.ts";

export type NotificationEvent =
  | {
      type: "sync-finished";
      syncLogId: string;
      status: "COMPLETED" | "FAILED";
      failedStep?: string;
      error?: string;
    }
  | {
      /** Admin settings saved: the changed field names only, never values. */
      type: "settings-updated";
      fields: string[];
      by: string | null;
      at: string;
    }
  | {
      /** A Hytale grant is gone (invalid_grant / 401), or near the end of its lifetime. */
      type: "hytale-account";
      accountId: string;
      reason: "relink-needed" | "grant-expiring";
      /** The grant's creation time: one notice per grant and reason. */
      grantCreatedAt: string;
      renewBy?: string;
    };

export type NotificationType = NotificationEvent["type"];

/** The job id of an event: one notice per subject, however often the event is raised. */
function jobId(event: NotificationEvent): string {
  switch (event.type) {
    case "sync-finished":
      return `notify:${event.syncLogId}`;
    case "settings-updated":
      return `notify:settings:${event.at}:${event.by ?? "system"}`;
    case "hytale-account":
      return `notify:hytale:${event.accountId}:${event.reason}:${event.grantCreatedAt}`;
  }
}

export async function notify(deps: Pick<Deps, "enqueue">, event: NotificationEvent): Promise<void> {
  const { type, ...payload } = event;
  await deps.enqueue(`notify.${type}`, { ...payload }, { priority: "low", id: jobId(event) });
}
