import type { Logger } from 'pino';
import { type Condition, ConditionType, type KubeObject } from '../api/index.js';
import { isReason, REASONS, Reason } from '../api/reasons.js';
import { jsonEqual } from '../providers/shared/drift.js';
import { interruptedByShutdown } from '../runtime/context.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { asError, ClassifiedError, classificationOf } from '../runtime/errors.js';
import {
  type ConditionInput,
  notReady,
  progressConditions,
  removeCondition,
  setCondition,
  syncFailed,
} from './conditions.js';
import type { ClusterWriter, EventRecorder, EventType, KeylessKind, StatusOf } from './ports.js';
import { FINALIZER, hasFinalizer, RECONCILE_REQUEST_ANNOTATION } from './requests.js';

export interface FailOptions {
  notReady?: boolean;
  /** The reason when the failure carries no classification of its own (default CloudError). */
  reason?: Reason;
}

/**
 * The label of a failed concurrent step: what `ReconcileRun.fail` needs, so the first failure (in
 * argument order, see `settleAll`) is reported once however many steps failed. Not an error model
 * of its own: `failStep` unwraps it into the usual ClassifiedError.
 */
class StepFailure extends Error {
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
 * Adds Keyless's finalizer unless the object has it. Called once nothing refuses the object and
 * before the first write the finalizer must undo (a cloud write, a ServiceAccount annotation).
 */
export async function ensureFinalizer<K extends KeylessKind>(
  writer: ClusterWriter,
  run: ReconcileRun<K>,
): Promise<void> {
  if (hasFinalizer(run.object)) return;
  try {
    await writer.addFinalizer(run.kind, run.object, FINALIZER, run.ctx.signal);
  } catch (err) {
    throw run.fail(err, 'adding the finalizer', { reason: Reason.KubernetesError });
  }
}

/**
 * One reconcile of one object: the status being built, its context (signal, deadline, logger,
 * clock) and the Event recorder. Every failure goes through `fail` or `stop`, so each has the same
 * shape: log, Event, condition, and a ClassifiedError for the controller (retry, retry after, stop,
 * or stop and look again later).
 */
export class ReconcileRun<K extends KeylessKind> {
  readonly status: StatusOf[K] & {
    conditions?: Condition[];
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
  };
  /** Set once the finalizer is gone: the object may no longer exist, so its status is not written. */
  finalized = false;
  /**
   * How long a terminal failure whose cause lies outside the object (not owned, access denied, the
   * account's guardrails) waits before it is checked again: the account's resync interval, once
   * the sync knows the account.
   */
  recheckAfterMs: number | undefined;
  private readonly pendingEvents: [EventType, Reason, string][] = [];
  /** Whether this run reached a verdict on the object (set a condition), so its status describes it. */
  private concluded = false;

  constructor(
    readonly kind: K,
    readonly object: KubeObject & { status?: StatusOf[K] },
    readonly ctx: ReconcileContext,
    private readonly events: EventRecorder,
  ) {
    this.status = structuredClone(object.status ?? {}) as StatusOf[K];
  }

  get log(): Logger {
    return this.ctx.logger;
  }

  get now(): Date {
    return new Date(this.ctx.clock.now());
  }

  set(...conditions: ConditionInput[]): void {
    this.concluded = this.concluded || conditions.length > 0;
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

  /**
   * What kstatus and Argo CD read, once the run's verdict is in: Reconciling or Stalled from Ready
   * and Synced, the generation this status describes, and the reconcile request it answered. A run
   * that concluded nothing (it waits to be woken) leaves the status as it was.
   */
  conclude(): void {
    if (!this.concluded || this.finalized) return;
    const progress = progressConditions(this.status.conditions);
    let conditions = this.status.conditions;
    for (const type of [ConditionType.Reconciling, ConditionType.Stalled])
      if (type !== progress?.type) conditions = removeCondition(conditions, type);
    this.status.conditions = progress
      ? setCondition(conditions, progress, this.object.metadata.generation, this.now)
      : conditions;
    this.observed();
    const requested = this.object.metadata.annotations?.[RECONCILE_REQUEST_ANNOTATION];
    if (requested !== undefined) this.status.lastHandledReconcileAt = requested;
  }

  statusChanged(): boolean {
    return !jsonEqual(this.status, this.object.status ?? {});
  }

  /**
   * Queues an Event; `syncAndWriteStatus` sends the queue alongside the status write, so Events
   * (best-effort: a failed one is logged, never fails the reconcile) add no round trip to it.
   */
  event(type: EventType, reason: Reason, message: string): void {
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

  /**
   * A failure with a cause, reported once: its classification (the cause's own, or the reconcile's
   * signal's when the deadline or shutdown stopped it, else retryable with `options.reason`), a
   * message that says where it happened, a log line, a Warning Event and the Synced condition.
   */
  fail(err: unknown, context: string, options: FailOptions = {}): ClassifiedError {
    const cause = asError(err);
    const signal = this.ctx.signal;
    const found = classificationOf(err) ?? (signal.aborted ? classificationOf(signal.reason) : undefined);
    const kind = found?.kind ?? 'retryable';
    const reason =
      kind === 'throttled' ? Reason.Throttled : (found?.reason ?? options.reason ?? Reason.CloudError);
    const detail = classificationOf(err) || !signal.aborted ? cause.message : asError(signal.reason).message;
    const outcome = new ClassifiedError(`${context}: ${detail}`, {
      kind,
      reason,
      ...(found?.retryAfterMs !== undefined ? { retryAfterMs: found.retryAfterMs } : {}),
      ...this.recheck(kind, reason),
      cause,
    });
    this.report(outcome, options.notReady ?? false, rootProgrammingError(cause));
    return outcome;
  }

  /** The failure of concurrent `step`s, reported once with its step's context. */
  failStep(err: unknown, context: string): ClassifiedError {
    if (err instanceof StepFailure) return this.fail(err.cause, err.context, err.options);
    return this.fail(err, context);
  }

  /** A failure without a cause that retrying cannot fix (not owned, guardrails, bad reference). */
  stop(reason: Reason, message: string): ClassifiedError {
    const outcome = new ClassifiedError(message, {
      kind: 'terminal',
      reason,
      ...this.recheck('terminal', reason),
    });
    this.report(outcome, true, undefined);
    return outcome;
  }

  /** Not a failure: the object waits for another one (its identity, its account) to be ready. */
  wait(reason: Reason, message: string): void {
    this.log.info({ reason }, message);
    this.set(notReady(reason, message), syncFailed(reason, message));
  }

  /** Terminal failures whose cause lies outside the object are looked at again (see REASONS). */
  private recheck(kind: ClassifiedError['kind'], reason: string): { recheckAfterMs?: number } {
    const outside = isReason(reason) && REASONS[reason].outcome === 'TerminalExternal';
    return kind === 'terminal' && this.recheckAfterMs !== undefined && outside
      ? { recheckAfterMs: this.recheckAfterMs }
      : {};
  }

  /** Log, Event, condition: the same for every failure. */
  private report(failure: ClassifiedError, setNotReady: boolean, bug: Error | undefined): void {
    const fields = { reason: failure.reason, kind: failure.kind, ...(bug ? { err: bug } : {}) };
    if (interruptedByShutdown(this.ctx.signal)) {
      this.log.info(fields, `${failure.message} (interrupted by shutdown)`);
      return;
    }
    if (failure.kind === 'throttled') this.log.info(fields, failure.message);
    else this.log.warn(fields, failure.message);
    // A terminal failure is this generation's outcome; a retry may still succeed with it.
    if (failure.kind === 'terminal') this.observed();
    const reason = isReason(failure.reason) ? failure.reason : Reason.CloudError;
    this.event('Warning', reason, failure.message);
    this.set(syncFailed(reason, failure.message));
    if (setNotReady) this.set(notReady(reason, failure.message));
  }
}

/** The innermost cause when it is a programming error, whose stack is worth logging. */
function rootProgrammingError(err: Error): Error | undefined {
  let root: unknown = err;
  for (let depth = 0; depth < 16 && root instanceof Error && root.cause !== undefined; depth++)
    root = root.cause;
  return root instanceof TypeError || root instanceof ReferenceError || root instanceof RangeError
    ? root
    : undefined;
}

/**
 * Runs one sync and then writes the status if it changed, on every exit path (as ACK's deferred
 * status update does), so no early return or failure leaves stale conditions behind. The sync's
 * Events are sent at the same time. A sync stopped by shutdown writes nothing: the next leader
 * reconciles the object again.
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
  if (interruptedByShutdown(run.ctx.signal)) {
    if (failure !== undefined) throw failure;
    return result;
  }
  run.conclude();
  const [status] = await Promise.allSettled([
    run.statusChanged() && !run.finalized ? writer.writeStatus(run.kind, run.object, run.status) : undefined,
    run.sendEvents(),
  ]);
  if (status.status === 'rejected') {
    // Retried even after a terminal failure, or that failure's condition would never reach the
    // object; a throttled cloud's Retry-After still holds.
    const cause = asError(status.reason);
    const previous = classificationOf(failure);
    const throttled = previous?.kind === 'throttled' ? previous : undefined;
    run.log.warn(
      { reason: Reason.KubernetesError, ...(previous ? { after: previous.reason } : {}) },
      `writing status: ${cause.message}`,
    );
    throw new ClassifiedError(`writing status: ${cause.message}`, {
      kind: throttled ? 'throttled' : 'retryable',
      reason: throttled ? Reason.Throttled : Reason.KubernetesError,
      ...(throttled?.retryAfterMs !== undefined ? { retryAfterMs: throttled.retryAfterMs } : {}),
      cause,
    });
  }
  if (failure !== undefined) throw failure;
  return result;
}
