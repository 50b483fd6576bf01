import type { Drift, FunctionStatus } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { ClassifiedError } from '../../runtime/errors.js';

/**
 * A serverless platform whose functions name the one principal they run as (a Lambda function's
 * execution role, a Cloud Run service's revision service account): what the shared logic needs
 * to read, report and point them at the identity.
 */
export interface FunctionPlatform {
  /** What one function is called in messages: "Lambda function". */
  noun: string;
  /** The drift field of a function's principal. */
  field(id: string): string;
  /** How a principal read from a function reads in status (the platform's default, when empty). */
  describe(runsAs: string): string;
  permissions: {
    read: string;
    update: string;
    /** The permission on the principal itself that pointing a function at it takes (PassRole, actAs). */
    delegate: string;
  };
  /** What the delegate permission is checked on, for messages. */
  delegateTarget(principal: string): string;
}

/** What reading one function gave: `runsAs` is the principal it names. */
export type FunctionReading =
  | { id: string; kind: 'found'; runsAs: string }
  | { id: string; kind: 'missing' }
  | { id: string; kind: 'forbidden'; message: string };

const missingMessage = (platform: FunctionPlatform, id: string) => `${platform.noun} ${id} does not exist.`;

/**
 * Status and drift from what was read: a function that runs as another principal differs from the
 * spec. If Keyless attached it before (`attachedBefore`, from status), that is out-of-band drift
 * (put back under driftPolicy Correct, listed under Report); otherwise the spec is not applied
 * yet (a function that was missing or forbidden until now), and its field is `pending`. A missing
 * or unreadable function is reported, never drift, since no update can fix it.
 */
export function functionStates(
  platform: FunctionPlatform,
  principal: string,
  readings: readonly FunctionReading[],
  attachedBefore: ReadonlySet<string>,
): { states: FunctionStatus[]; drift: Drift[]; pending: string[] } {
  const states: FunctionStatus[] = [];
  const drift: Drift[] = [];
  const pending: string[] = [];
  for (const reading of readings) {
    if (reading.kind === 'missing') {
      states.push({ arn: reading.id, state: 'Missing', message: missingMessage(platform, reading.id) });
    } else if (reading.kind === 'forbidden') {
      states.push({ arn: reading.id, state: 'Forbidden', message: reading.message });
    } else if (reading.runsAs === principal) {
      states.push({ arn: reading.id, role: principal, state: 'Attached' });
    } else {
      const found = platform.describe(reading.runsAs);
      states.push({
        arn: reading.id,
        role: found,
        state: 'Drifted',
        message: `${platform.noun} ${reading.id} runs as ${found}, not ${principal}.`,
      });
      drift.push({ field: platform.field(reading.id), wanted: principal, found });
      if (!attachedBefore.has(reading.id)) pending.push(platform.field(reading.id));
    }
  }
  return { states, drift, pending };
}

/** The functions an update must point at the principal: those whose principal is listed as drift. */
export function functionsToUpdate(
  platform: FunctionPlatform,
  ids: readonly string[],
  drift: readonly Drift[],
): string[] {
  const fields = new Set(drift.map((d) => d.field));
  return ids.filter((id) => fields.has(platform.field(id)));
}

/** Forbidden: the message names the function and the permission the operator lacks. */
export function forbiddenMessage(
  platform: FunctionPlatform,
  id: string,
  permission: string,
  principal: string,
): string {
  const target = permission === platform.permissions.delegate ? platform.delegateTarget(principal) : id;
  const doing = permission === platform.permissions.read ? 'read' : 'change';
  return `The operator may not ${doing} ${platform.noun} ${id}: it lacks ${permission} on ${target}.`;
}

/** Which permission a refused update is about, by the cloud's message. */
export function updatePermissionDenied(platform: FunctionPlatform, message: string): string {
  return message.includes(platform.permissions.delegate)
    ? platform.permissions.delegate
    : platform.permissions.update;
}

const refused = (err: unknown): err is ClassifiedError =>
  err instanceof ClassifiedError && err.reason === Reason.AccessDenied;

/**
 * One read through `read` (the principal the function names, undefined when it does not exist); a
 * missing or forbidden function is a reading, not a failure.
 */
export async function readFunction(
  platform: FunctionPlatform,
  id: string,
  principal: string,
  read: () => Promise<string | undefined>,
): Promise<FunctionReading> {
  try {
    const runsAs = await read();
    return runsAs === undefined ? { id, kind: 'missing' } : { id, kind: 'found', runsAs };
  } catch (err) {
    if (!refused(err)) throw err;
    return {
      id,
      kind: 'forbidden',
      message: forbiddenMessage(platform, id, platform.permissions.read, principal),
    };
  }
}

/**
 * Points each function at the principal through `attach` (false when the function does not
 * exist). A missing or forbidden function is reported in its state and the others go on; any other
 * failure (the principal not propagated yet, throttling) is thrown once every function was tried,
 * so the retry finds less to do.
 */
export async function attachFunctions(
  platform: FunctionPlatform,
  ids: readonly string[],
  principal: string,
  attach: (id: string) => Promise<boolean>,
): Promise<FunctionStatus[]> {
  const outcomes = await Promise.allSettled(
    ids.map(async (id): Promise<FunctionStatus> => {
      try {
        return (await attach(id))
          ? { arn: id, role: principal, state: 'Attached' }
          : { arn: id, state: 'Missing', message: missingMessage(platform, id) };
      } catch (err) {
        if (!refused(err)) throw err;
        const permission = updatePermissionDenied(platform, err.message);
        return {
          arn: id,
          state: 'Forbidden',
          message: forbiddenMessage(platform, id, permission, principal),
        };
      }
    }),
  );
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
  return outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
}

/**
 * The observation's functions part: drift and pending from the readings, added to what the rest of
 * the identity's observation found.
 */
export function withFunctionReadings<
  T extends { drift: Drift[]; upToDate: boolean; pending?: string[]; functions?: FunctionStatus[] },
>(
  observed: T,
  platform: FunctionPlatform,
  principal: string,
  readings: readonly FunctionReading[],
  attachedBefore: ReadonlySet<string>,
): T {
  const { states, drift, pending } = functionStates(platform, principal, readings, attachedBefore);
  const allDrift = [...observed.drift, ...drift];
  const allPending = [...(observed.pending ?? []), ...pending];
  return {
    ...observed,
    drift: allDrift,
    upToDate: allDrift.length === 0,
    functions: states,
    ...(allPending.length > 0 ? { pending: allPending } : {}),
  };
}

/**
 * After an update pointed `fixing` at the principal: the functions' states with the new ones, and
 * the drift of those it could not fix, added to `updated`'s.
 */
export function afterAttaching<T extends { drift: Drift[]; upToDate: boolean; functions?: FunctionStatus[] }>(
  updated: T,
  platform: FunctionPlatform,
  observed: { drift: readonly Drift[]; functions?: FunctionStatus[] },
  fixing: readonly string[],
  attached: readonly FunctionStatus[],
): T {
  const byId = new Map(attached.map((state) => [state.arn, state]));
  const functions = (observed.functions ?? []).map((state) => byId.get(state.arn) ?? state);
  const left = observed.drift.filter((d) =>
    fixing.some((id) => d.field === platform.field(id) && byId.get(id)?.state !== 'Attached'),
  );
  const drift = [...updated.drift, ...left];
  return { ...updated, upToDate: drift.length === 0, drift, functions };
}
