// The closed set of error codes, their HTTP statuses, and the one error type domain code throws.
// Only `onError` and the validation hook turn these into JSON (see error-response.ts).

export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SESSION_LIMIT: 403,
  INTERNAL: 500,
  BAD_ENVIRONMENT: 500,
  UPSTREAM_ERROR: 502,
  UNAVAILABLE: 503,
  /** A peer did not answer in time (e.g. the Hytale OAuth server). */
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** Structured, non-secret context for logs (never sent to clients). */
  context?: Record<string, unknown>;
  /** Field-level problems shown to the client (validation). */
  details?: ErrorDetail[];
  /** Whether a queue job failing with this error should be retried. */
  retryable?: boolean;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
  /**
   * Auth routes keep upstream's snake_case `error` values (`invalid_credentials`, …) because the
   * website shows them; when set, this replaces the human message in the body's `error` field.
   */
  publicError?: string;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly context: Record<string, unknown>;
  readonly details?: ErrorDetail[];
  readonly retryable: boolean;
  readonly headers: Record<string, string>;
  readonly publicError?: string;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.context = opts.context ?? {};
    this.details = opts.details;
    this.retryable = opts.retryable ?? (this.status >= 500 && code !== "BAD_ENVIRONMENT");
    this.headers = opts.headers ?? {};
    this.publicError = opts.publicError;
  }
}

/** Maps a bare HTTP status (from Hono's HTTPException or a peer) to our code. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return "INVALID_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 409:
      return "CONFLICT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 429:
      return "RATE_LIMITED";
    case 502:
      return "UPSTREAM_ERROR";
    case 504:
      return "UPSTREAM_TIMEOUT";
    case 503:
      return "UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL" : "INVALID_REQUEST";
  }
}
