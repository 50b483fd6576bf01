import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { ClassifiedError } from './errors.js';
import type { Gate } from './gate.js';

/**
 * What one unit of work (a reconcile) carries down to every call it makes: the signal that stops
 * it, the time by which it must be done, its logger and its clock.
 */
export interface Context {
  /** Aborted at the deadline or when the operator shuts down; its reason says which. */
  readonly signal: AbortSignal;
  /** Milliseconds since the epoch (on `clock`) by which the work must be done. */
  readonly deadline: number;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Bounds the cloud calls in flight across the work sharing it (a controller's reconciles); each
   * provider call waits for a turn. None: calls go at once.
   */
  readonly cloudCalls?: Gate;
}

/** The signal's reason when a reconcile runs out of time: retried with backoff. */
export function deadlineExceeded(timeoutMs: number): ClassifiedError {
  return new ClassifiedError(`the reconcile did not finish within its deadline of ${timeoutMs / 1000}s`, {
    kind: 'retryable',
    reason: 'Timeout',
  });
}

/** The signal's reason when the operator stops: the reconcile is abandoned, the next leader redoes it. */
export function shuttingDown(): ClassifiedError {
  return new ClassifiedError('the operator is shutting down', { kind: 'retryable', reason: 'ShuttingDown' });
}

/** True when `signal` was aborted because the operator is shutting down (not at a deadline). */
export function interruptedByShutdown(signal: AbortSignal): boolean {
  return (
    signal.aborted && signal.reason instanceof ClassifiedError && signal.reason.reason === 'ShuttingDown'
  );
}

export interface ScopedContext {
  context: Context;
  /**
   * Stops the deadline's timer and aborts the signal, so that nothing started under the context
   * outlives the work; call when the work is over, however it ended.
   */
  end(): void;
}

/**
 * A context that aborts at `now + timeoutMs` or when `parent` aborts, whichever comes first. The
 * timer runs on `clock`, so tests move time instead of waiting.
 */
export function withDeadline(
  parent: AbortSignal,
  timeoutMs: number,
  logger: Logger,
  clock: Clock,
): ScopedContext {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const cancelTimer = clock.setTimeout(() => controller.abort(deadlineExceeded(timeoutMs)), timeoutMs);
  return {
    context: { signal: controller.signal, deadline: clock.now() + timeoutMs, logger, clock },
    end: () => {
      cancelTimer();
      parent.removeEventListener('abort', onParentAbort);
      controller.abort(new Error('the work this context was made for has ended'));
    },
  };
}

/** A context with no deadline that is never aborted: for one-off work outside a reconcile. */
export function backgroundContext(logger: Logger, clock: Clock): Context {
  return { signal: new AbortController().signal, deadline: Number.POSITIVE_INFINITY, logger, clock };
}
