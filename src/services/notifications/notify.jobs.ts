// Delivery of notify() events: `notify.sync-finished` (a finished sync run) and
// `notify.settings-updated` (admin settings saved; field names only). Both are logged no-ops
// until Discord delivery lands with the settings and notifications issue.
import type { JobTable } from "../../platform/jobs.types.ts";

export const notifyJobs: JobTable = {
  "notify.sync-finished": async (payload, deps) => {
    deps.log("info", "sync finished notice (Discord delivery arrives with the notifications area)", {
      syncLogId: (payload as { syncLogId?: string })?.syncLogId,
      status: (payload as { status?: string })?.status,
    });
  },
  "notify.settings-updated": async (payload, deps) => {
    deps.log("info", "settings updated notice (Discord delivery arrives with the notifications area)", {
      fields: (payload as { fields?: unknown })?.fields,
    });
  },
};
