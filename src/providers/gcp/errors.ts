import { Reason } from '../../api/reasons.js';
import { ClassifiedError } from '../../runtime/errors.js';

/** gRPC status codes, which the gax clients may report instead of HTTP statuses. */
const GRPC = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
const GRPC_TO_HTTP: Record<number, number> = {
  [GRPC.INVALID_ARGUMENT]: 400,
  [GRPC.DEADLINE_EXCEEDED]: 504,
  [GRPC.NOT_FOUND]: 404,
  [GRPC.ALREADY_EXISTS]: 409,
  [GRPC.PERMISSION_DENIED]: 403,
  [GRPC.RESOURCE_EXHAUSTED]: 429,
  [GRPC.FAILED_PRECONDITION]: 400,
  [GRPC.ABORTED]: 409,
  [GRPC.INTERNAL]: 500,
  [GRPC.UNAVAILABLE]: 503,
  [GRPC.UNAUTHENTICATED]: 401,
};

interface GoogleErrorLike {
  code?: number | string;
  status?: number | string;
  message?: string;
  response?: { status?: number; headers?: Record<string, string> | { get?(name: string): string | null } };
}

/**
 * The HTTP status of a Google client error. googleapis' GaxiosError and gax's REST errors both carry
 * the HTTP status (in `code`, `status` or `response.status`); a gRPC transport would give a gRPC
 * code (under 100) instead, which is mapped to its HTTP equivalent.
 */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as GoogleErrorLike;
  const candidates = [e?.response?.status, e?.status, e?.code].filter(
    (v) => typeof v === 'number',
  ) as number[];
  const status = candidates[0];
  if (status === undefined) return undefined;
  return status < 100 ? GRPC_TO_HTTP[status] : status;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

/**
 * Google's status name (ABORTED, ALREADY_EXISTS, ...): in the parsed body for googleapis clients,
 * in the message (the raw JSON body) for the gax REST clients.
 */
export function statusNameOf(err: unknown): string | undefined {
  const e = err as GoogleErrorLike & { response?: { data?: { error?: { status?: string } } } };
  const fromBody = e?.response?.data?.error?.status;
  if (fromBody) return fromBody;
  try {
    return (JSON.parse(e?.message ?? '') as { error?: { status?: string } }).error?.status;
  } catch {
    return /\b(ABORTED|ALREADY_EXISTS)\b/.exec(e?.message ?? '')?.[1];
  }
}

/** The server's Retry-After, if it sent one: the account's limiter pauses for it. */
function retryAfter(err: unknown): { retryAfterMs?: number } {
  const headers = (err as GoogleErrorLike)?.response?.headers;
  const raw =
    headers && typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {};
}

/** Google's own message, from the parsed body (googleapis) or the raw JSON body in `message` (gax REST). */
export function googleMessageOf(err: unknown): string {
  const e = err as GoogleErrorLike & { response?: { data?: { error?: { message?: string } } } };
  const fromBody = e?.response?.data?.error?.message;
  if (fromBody) return fromBody;
  try {
    const parsed = (JSON.parse(e?.message ?? '') as { error?: { message?: string } }).error?.message;
    if (parsed) return parsed;
  } catch {
    // Not a JSON body: the message is already plain text.
  }
  return e?.message ?? String(err);
}

interface ErrorInfo {
  '@type'?: string;
  reason?: string;
  metadata?: Record<string, string>;
}

/**
 * The `google.rpc.ErrorInfo` reasons in a Google error's details (`SERVICE_DISABLED`,
 * `IAM_PERMISSION_DENIED`, ...): in the parsed body, or in the raw JSON body in `message`.
 */
export function errorInfoReasonsOf(err: unknown): string[] {
  const e = err as GoogleErrorLike & { response?: { data?: { error?: { details?: ErrorInfo[] } } } };
  let details = e?.response?.data?.error?.details;
  if (!Array.isArray(details)) {
    try {
      details = (JSON.parse(e?.message ?? '') as { error?: { details?: ErrorInfo[] } }).error?.details;
    } catch {
      details = undefined;
    }
  }
  return (Array.isArray(details) ? details : [])
    .filter((d) => d?.['@type']?.endsWith('google.rpc.ErrorInfo') && typeof d.reason === 'string')
    .map((d) => d.reason as string);
}

/** The usage-review calls: the API each belongs to and what the operator needs for it, for the message. */
export const USAGE_CALLS: Readonly<Record<string, { api: string; permission: string; role: string }>> = {
  'activities.query': {
    api: 'policyanalyzer.googleapis.com',
    permission: 'policyanalyzer.serviceAccountLastAuthenticationActivities.query',
    role: 'roles/policyanalyzer.activityAnalysisViewer',
  },
};

/**
 * A refused usage-review call: the API not enabled (ErrorInfo SERVICE_DISABLED) or the permission
 * missing. Either is the account's to fix, and says which API and which permission.
 */
function classifyUsageRefusal(err: unknown, operation: string): ClassifiedError | undefined {
  const call = USAGE_CALLS[operation];
  if (!call || httpStatusOf(err) !== 403) return undefined;
  const google = googleMessageOf(err);
  if (errorInfoReasonsOf(err).includes('SERVICE_DISABLED')) {
    return new ClassifiedError(
      `${operation}: the ${call.api} API is not enabled in the project; enable it to review usage (${google})`,
      { kind: 'terminal', reason: Reason.UsageApiDisabled, cause: err },
    );
  }
  return new ClassifiedError(
    `${operation}: the operator lacks ${call.permission} on ${call.api} (in ${call.role}) to review usage (${google})`,
    { kind: 'terminal', reason: Reason.UsageReviewForbidden, cause: err },
  );
}

/** The one place Google client errors are classified. `operation` names the call for the message. */
export function classifyGcpError(err: unknown, operation: string): ClassifiedError {
  if (err instanceof ClassifiedError) return err;
  const usageRefusal = classifyUsageRefusal(err, operation);
  if (usageRefusal) return usageRefusal;
  const status = httpStatusOf(err);
  const message = `${operation}: ${googleMessageOf(err)}`;
  const make = (kind: ClassifiedError['kind'], reason: Reason, extra: { retryAfterMs?: number } = {}) =>
    new ClassifiedError(message, { kind, reason, cause: err, ...extra });
  switch (status) {
    case 429:
      return make('throttled', Reason.Throttled, retryAfter(err));
    case 404:
      return make('retryable', Reason.NotFound);
    case 409:
      // A stale etag (ABORTED) is retried on a fresh read; a create of an existing name is the caller's to judge.
      return statusNameOf(err) === 'ALREADY_EXISTS'
        ? make('retryable', Reason.AlreadyExists)
        : make('retryable', Reason.Conflict);
    case 403:
      return make('terminal', Reason.AccessDenied);
    case 401:
      return make('terminal', Reason.InvalidCredentials);
    case 400:
      return make('terminal', Reason.InvalidRequest);
    case undefined:
      return make('retryable', Reason.CloudUnavailable);
    default:
      return status >= 500
        ? make('retryable', Reason.CloudUnavailable)
        : make('terminal', Reason.InvalidRequest);
  }
}
