import type { Logger } from 'pino';
import type { Condition, KubeObject } from '../api/index.js';
import { isCloudError } from '../providers/cloud-error.js';
import { canonicalJson } from '../providers/shared/drift.js';
import type { Clock } from '../runtime/clock.js';
import type { ReconcileResult } from '../runtime/controller.js';
import { asError, TerminalError, terminalErrorIn } from '../runtime/errors.js';
import { type ConditionInput, notReady, setCondition, syncFailed } from './conditions.js';
import type { ClusterWriter, EventRecorder, EventType, KeylessKind, StatusOf } from './ports.js';
import { Reason } from './reasons.js';
import { FINALIZER, hasFinalizer } from './requests.js';

export interface FailOptions {
  notReady?: boolean;
  reason?: string;
}

/**
 * One of several concurrent steps failed: carries what `ReconcileRun.fail` needs, so the first
 * failure (in argument order, see `settleAll`) is reported once however many steps failed.
 */
export class StepFailure extends Error {
  constructor(
    readonly context: string,
    override readonly cause: unknown,
    readonly options: FailOptions = {},
  ) {
    super(context, { cause });
    this.name = 'StepFailure';
  }
}

/** `promise`, its failure labelled for `ReconcileRun.failStep`. */
export function step<T>(promise: Promise<T>, context: string, options?: FailOptions): Promise<T> {
  return promise.catch((err: unknown) => {
    throw err instanceof StepFailure ? err : new StepFailure(context, err, options);
  });
}

/**
 * Adds Keyless's finalizer unless the object has it, as a `step` to run alongside the cloud reads
 * (it need only precede a cloud write).
 */
export function addingFinalizer(
  writer: ClusterWriter,
  kind: KeylessKind,
  object: KubeObject,
): Promise<void> | undefined {
  if (hasFinalizer(object)) return undefined;
  return step(writer.addFinalizer(kind, object, FINALIZER), 'adding the finalizer', {
    reason: Reason.KubernetesError,
  });
}

/**
 * A throttled cloud call: retried no sooner than the cloud's Retry-After (`retryAfterMs`) when it
 * sent one, else after the object's backoff (the account's limiter has slowed down meanwhile).
 */
export class ThrottledError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/**
 * One reconcile of one object: the status being built, the logger and the Event recorder.
 * Every failure goes through `fail` or `stop`, so each has the same shape: log, Event, condition,
 * and an error for the controller (retry, retry after, or terminal).
 */
export class ReconcileRun<K extends KeylessKind> {
  readonly status: StatusOf[K] & { conditions?: Condition[]; observedGeneration?: number };
  private readonly original: string;
  /** Set once the finalizer is gone: the object may no longer exist, so its status is not written. */
  finalized = false;
  private readonly pendingEvents: [EventType, string, string][] = [];

  constructor(
    readonly kind: K,
    readonly object: KubeObject & { status?: StatusOf[K] },
    readonly log: Logger,
    private readonly events: EventRecorder,
    private readonly clock: Clock,
  ) {
    this.status = structuredClone(object.status ?? {}) as StatusOf[K];
    this.original = canonicalJson(this.status);
  }

  get now(): Date {
    return new Date(this.clock.now());
  }

  set(...conditions: ConditionInput[]): void {
    for (const condition of conditions) {
      this.status.conditions = setCondition(
        this.status.conditions,
        condition,
        this.object.metadata.generation,
        this.now,
      );
    }
  }

  /** Records that the spec was acted on, so the next change of generation is recognisable. */
  observed(): void {
    if (this.object.metadata.generation !== undefined)
      this.status.observedGeneration = this.object.metadata.generation;
  }

  statusChanged(): boolean {
    return canonicalJson(this.status) !== this.original;
  }

  /**
   * Queues an Event; `syncAndWriteStatus` sends the queue alongside the status write, so Events
   * (best-effort: a failed one is logged, never fails the reconcile) add no round trip to it.
   */
  event(type: EventType, reason: string, message: string): void {
    this.pendingEvents.push([type, reason, message]);
  }

  /** Sends the queued Events; one that cannot be sent is logged, never thrown. */
  async sendEvents(): Promise<void> {
    const events = this.pendingEvents.splice(0);
    const sent = await Promise.allSettled(
      events.map(([type, reason, message]) =>
        this.events.record(this.kind, this.object, type, reason, message),
      ),
    );
    for (const outcome of sent)
      if (outcome.status === 'rejected') this.log.warn({ err: outcome.reason }, 'could not record an Event');
  }

  /** A failure with a cause: classified into terminal, throttled or retryable. */
  fail(err: unknown, context: string, options: FailOptions = {}): Error {
    const cause = asError(err);
    const terminalCause = terminalErrorIn(err);
    let reason: string = Reason.CloudError;
    let outcome: Error;
    if (isCloudError(err)) {
      reason = err.reason;
      if (err.kind === 'terminal')
        outcome = new TerminalError(reason, `${context}: ${err.message}`, { cause });
      else if (err.kind === 'throttled') {
        reason = Reason.Throttled;
        outcome = new ThrottledError(`${context}: ${err.message}`, err.retryAfterMs, { cause });
      } else outcome = new Error(`${context}: ${err.message}`, { cause });
    } else if (terminalCause) {
      reason = terminalCause.reason;
      outcome = new TerminalError(reason, `${context}: ${terminalCause.message}`, { cause });
    } else {
      reason = options.reason ?? Reason.CloudError;
      outcome = new Error(`${context}: ${cause.message}`, { cause });
    }
    this.log.warn({ err: cause, reason }, context);
    // A terminal failure is this generation's outcome; a retry may still succeed with it.
    if (outcome instanceof TerminalError) this.observed();
    this.event('Warning', reason, outcome.message);
    this.set(syncFailed(reason, outcome.message));
    if (options.notReady) this.set(notReady(reason, outcome.message));
    return outcome;
  }

  /** The failure of concurrent `step`s, reported once with its step's context. */
  failStep(err: unknown, context: string): Error {
    if (err instanceof StepFailure) return this.fail(err.cause, err.context, err.options);
    return this.fail(err, context);
  }

  /** A failure without a cause that retrying cannot fix (not owned, guardrails, bad reference). */
  stop(reason: string, message: string): TerminalError {
    this.log.warn({ reason }, message);
    this.event('Warning', reason, message);
    this.set(syncFailed(reason, message), notReady(reason, message));
    this.observed();
    return new TerminalError(reason, message);
  }

  /** Not a failure: the object waits for another one (its identity, its account) to be ready. */
  wait(reason: string, message: string): void {
    this.log.info({ reason }, message);
    this.set(notReady(reason, message), syncFailed(reason, message));
  }
}

/**
 * Runs one sync and then writes the status if it changed, on every exit path (as ACK's deferred
 * status update does), so no early return or failure leaves stale conditions behind. The sync's
 * Events are sent at the same time.
 */
export async function syncAndWriteStatus<K extends KeylessKind>(
  run: ReconcileRun<K>,
  writer: ClusterWriter,
  sync: () => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  let failure: unknown;
  let result: ReconcileResult = {};
  try {
    result = await sync();
  } catch (err) {
    failure = err;
  }
  const [status] = await Promise.allSettled([
    run.statusChanged() && !run.finalized ? writer.writeStatus(run.kind, run.object, run.status) : undefined,
    run.sendEvents(),
  ]);
  if (status.status === 'rejected') {
    // Retried even after a terminal failure, or that failure's condition would never reach the
    // object; a throttled cloud's Retry-After still holds.
    if (failure === undefined) throw status.reason;
    run.log.warn({ err: failure }, 'the reconcile failed, and so did writing its status');
    const cause = asError(status.reason);
    if (failure instanceof ThrottledError)
      throw new ThrottledError(`writing status: ${cause.message}`, failure.retryAfterMs, { cause });
    throw cause;
  }
  if (failure !== undefined) throw failure;
  return result;
}
