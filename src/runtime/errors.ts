const MAX_CAUSE_DEPTH = 16;

/**
 * How a failure is handled. Every failure is classified once, where it is understood (a cloud's
 * error classifier, a spec check, a reconcile step), into exactly one of these:
 * - retryable: try again with per-key exponential backoff (5xx, eventual consistency, conflicts,
 *   a timeout), and no sooner than `retryAfterMs` when the classifier knows how long the cloud takes;
 * - throttled: try again no sooner than `retryAfterMs` (the server's wish), and slow every caller
 *   of the same server down;
 * - terminal: retrying cannot fix it. Not retried until the object changes, or, when the cause lies
 *   outside the object (`recheckAfterMs`), until that long has passed.
 */
export type FailureKind = 'retryable' | 'throttled' | 'terminal';

export interface ClassifiedErrorOptions {
  kind: FailureKind;
  /** A CamelCase reason, fit for a condition and an Event (see src/api/reasons.ts). */
  reason: string;
  retryAfterMs?: number;
  /** Terminal only: look again after this long, as something outside the object may change. */
  recheckAfterMs?: number;
  cause?: unknown;
}

/** The one error type shared by the controller, the reconcilers and the providers. */
export class ClassifiedError extends Error {
  override readonly name = 'ClassifiedError';
  readonly kind: FailureKind;
  readonly reason: string;
  readonly retryAfterMs: number | undefined;
  readonly recheckAfterMs: number | undefined;

  constructor(message: string, options: ClassifiedErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    this.reason = options.reason;
    this.retryAfterMs = options.retryAfterMs;
    this.recheckAfterMs = options.recheckAfterMs;
  }
}

export function terminal(reason: string, message: string, cause?: unknown): ClassifiedError {
  return new ClassifiedError(message, { kind: 'terminal', reason, cause });
}

export function throttled(message: string, retryAfterMs: number, cause?: unknown): ClassifiedError {
  return new ClassifiedError(message, { kind: 'throttled', reason: 'Throttled', retryAfterMs, cause });
}

export function isClassified(err: unknown): err is ClassifiedError {
  return err instanceof ClassifiedError;
}

/** The error itself and its `cause` chain, outermost first. */
function* causeChain(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/** The outermost ClassifiedError in `err` or its causes, so wrapping keeps the classification. */
export function classificationOf(err: unknown): ClassifiedError | undefined {
  for (const candidate of causeChain(err)) {
    if (candidate instanceof ClassifiedError) return candidate;
  }
  return undefined;
}

/** Anything thrown, as an Error (a thrown string or object becomes the message / cause). */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(`non-Error thrown: ${String(thrown)}`, { cause: thrown });
}
