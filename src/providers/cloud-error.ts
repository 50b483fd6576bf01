import type { Reason } from '../api/reasons.js';

/**
 * How a failed cloud call should be handled. Every provider classifies its SDK's errors into
 * exactly one of these, once, in its own errors module.
 * - retryable: try again with per-object backoff (5xx, eventual consistency, conflicts).
 * - throttled: try again after `retryAfterMs`, and slow every caller of the same account.
 * - terminal: the spec (or the account) must change first; report it and do not retry.
 */
export type CloudErrorKind = 'retryable' | 'throttled' | 'terminal';

export interface CloudErrorOptions {
  kind: CloudErrorKind;
  /** The reason for the Synced condition and the Event, from the catalogue (src/api/reasons.ts). */
  reason: Reason;
  retryAfterMs?: number;
  cause?: unknown;
}

export class CloudError extends Error {
  readonly kind: CloudErrorKind;
  readonly reason: Reason;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: CloudErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'CloudError';
    this.kind = options.kind;
    this.reason = options.reason;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isCloudError(err: unknown): err is CloudError {
  return err instanceof CloudError;
}

export function terminal(reason: Reason, message: string, cause?: unknown): CloudError {
  return new CloudError(message, { kind: 'terminal', reason, cause });
}
