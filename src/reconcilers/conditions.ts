import { type Condition, ConditionType, type Drift } from '../api/index.js';
import { isReason, progressOf, Reason } from '../api/reasons.js';

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
  message: string;
}

/**
 * Sets a condition by type. The transition time moves only when the status does, so re-asserting
 * the same condition changes nothing and costs no status write.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((c) => c.type === input.type);
  const next: Condition = {
    ...input,
    lastTransitionTime:
      previous && previous.status === input.status ? previous.lastTransitionTime : now.toISOString(),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return [...list.filter((c) => c.type !== input.type), next].sort((a, b) => order(a.type) - order(b.type));
}

const ORDER: string[] = [
  ConditionType.Ready,
  ConditionType.Synced,
  ConditionType.Drifted,
  ConditionType.Reconciling,
  ConditionType.Stalled,
];
function order(type: string): number {
  const i = ORDER.indexOf(type);
  return i === -1 ? ORDER.length : i;
}

export function getCondition(
  conditions: Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: Condition[] | undefined, type: ConditionType): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

export const ready = (reason: Reason, message: string): ConditionInput => ({
  type: ConditionType.Ready,
  status: 'True',
  reason,
  message,
});
export const notReady = (reason: Reason, message: string): ConditionInput => ({
  type: ConditionType.Ready,
  status: 'False',
  reason,
  message,
});
export const synced = (message = 'The last reconcile succeeded.'): ConditionInput => ({
  type: ConditionType.Synced,
  status: 'True',
  reason: Reason.ReconcileSuccess,
  message,
});
export const syncFailed = (reason: Reason, message: string): ConditionInput => ({
  type: ConditionType.Synced,
  status: 'False',
  reason,
  message,
});
export const drifted = (drift: Drift[], corrected: boolean): ConditionInput => ({
  type: ConditionType.Drifted,
  status: corrected ? 'False' : 'True',
  reason: corrected ? Reason.DriftCorrected : Reason.DriftDetected,
  message: corrected
    ? `Corrected out-of-band changes to ${drift.map((d) => d.field).join(', ')}.`
    : `The cloud differs from spec in ${drift.map((d) => d.field).join(', ')}.`,
});
export const notDrifted = (): ConditionInput => ({
  type: ConditionType.Drifted,
  status: 'False',
  reason: Reason.NoDrift,
  message: 'The cloud matches spec.',
});

/**
 * kstatus's abnormal-true conditions, from Ready and Synced: Stalled when either is False for a
 * reason only a change elsewhere fixes, else Reconciling when either is False, else neither. Only
 * the one that holds is kept (kstatus reads whichever True one comes first), with the reason and
 * message of the condition that raised it.
 */
export function progressConditions(conditions: Condition[] | undefined): ConditionInput | undefined {
  const failing = [ConditionType.Ready, ConditionType.Synced]
    .map((type) => getCondition(conditions, type))
    .filter((c): c is Condition => c !== undefined && c.status === 'False');
  const stalled = failing.find((c) => progressOf(c.reason) === 'Stalled');
  // Synced first: it says what the last reconcile ran into, Ready what that means for its use.
  const pending = stalled ?? failing.find((c) => c.type === ConditionType.Synced) ?? failing[0];
  if (!pending) return undefined;
  return {
    type: stalled ? ConditionType.Stalled : ConditionType.Reconciling,
    status: 'True',
    reason: isReason(pending.reason) ? pending.reason : Reason.CloudError,
    message: pending.message,
  };
}

export function removeCondition(conditions: Condition[] | undefined, type: ConditionType): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The usage review's verdict: True (abnormal) when unused, False when used, Unknown when the cloud cannot tell. */
export const unusedCondition = (unused: boolean | undefined, message: string): ConditionInput => ({
  type: ConditionType.Unused,
  status: unused === undefined ? 'Unknown' : unused ? 'True' : 'False',
  reason: unused === undefined ? Reason.NotReviewed : unused ? Reason.Unused : Reason.Reviewed,
  message,
});
