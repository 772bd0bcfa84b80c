// The error-reporting seam: platform, services and areas report an unexpected error (and run a
// job as its own trace) through this, never through an SDK. Nothing is reported until the
// composition level installs a reporter (src/sentry.ts, loaded only when SENTRY_DSN is set), so
// the SDK stays out of the Worker's hot path when it is not configured.
import { AppError } from "./errors.ts";

/** Tags every report may carry (strings only; never a token, secret, e-mail or query string). */
export interface ReportTags {
  requestId?: string;
  route?: string;
  method?: string;
  caller?: string;
  jobId?: string;
  jobType?: string;
  queue?: string;
  attempt?: string;
  cron?: string;
  durableObject?: string;
}

export interface Reporter {
  captureException(err: unknown, tags: ReportTags): void;
  /** Runs `fn` as its own transaction (one per job), named `name`. */
  transaction<T>(name: string, op: string, tags: ReportTags, fn: () => Promise<T>): Promise<T>;
}

const NONE: Reporter = {
  captureException() {},
  transaction: (_name, _op, _tags, fn) => fn(),
};

let current: Reporter = NONE;

/** Installed once per isolate by the composition level (src/sentry.ts). */
export function setReporter(reporter: Reporter): void {
  current = reporter;
}

export const telemetry: Reporter = {
  captureException: (err, tags) => {
    try {
      current.captureException(err, tags);
    } catch {
      // reporting never breaks the invocation
    }
  },
  transaction: (name, op, tags, fn) => current.transaction(name, op, tags, fn),
};

/**
 * What counts as unexpected (reported): anything that is not one of our errors, and our own
 * INTERNAL / BAD_ENVIRONMENT. 4xx, upstream outages (502) and unavailability (503) are expected
 * answers: logged, never reported.
 */
export function isUnexpected(err: unknown): boolean {
  if (!(err instanceof AppError)) return true;
  return err.code === "INTERNAL" || err.code === "BAD_ENVIRONMENT";
}
