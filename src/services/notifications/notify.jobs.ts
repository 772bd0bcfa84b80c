// Delivery of notify() events. `notify.sync-finished`: the Discord notice of a finished sync run
// (a logged no-op until Discord delivery lands with the settings and notifications issue).
import type { JobTable } from "../../platform/jobs.types.ts";

export const notifyJobs: JobTable = {
  "notify.sync-finished": async (payload, deps) => {
    deps.log("info", "sync finished notice (Discord delivery arrives with the notifications area)", {
      syncLogId: (payload as { syncLogId?: string })?.syncLogId,
      status: (payload as { status?: string })?.status,
    });
  },
};
