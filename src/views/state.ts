import type { Condition } from '../api/conditions.js';
import { isReason, REASONS } from '../api/reasons.js';

/**
 * What a person looking at an object needs to know first, from its conditions read by type (so
 * kstatus's Reconciling and Stalled are used where the operator writes them, and derived from Ready
 * and Synced where it does not):
 * - Stalled: Keyless cannot get there until something else changes (the spec, the account, the cloud).
 * - Failing: the last attempt failed and is being retried.
 * - Reconciling: Keyless is still getting there (not reconciled yet, a newer spec, waiting for another object).
 * - Drifted: usable, but the cloud differs from the spec.
 * - Ready: as declared.
 * - Ended: a temporary grant reached its end.
 */
export const STATES = ['Stalled', 'Failing', 'Reconciling', 'Drifted', 'Ready', 'Ended'] as const;
export type ObjectState = (typeof STATES)[number];

export interface StateView {
  state: ObjectState;
  /** The reason of the condition that decided the state, or a reason of the read model's own. */
  reason: string;
  message: string;
  /** When the deciding condition last changed (RFC 3339); absent before the first reconcile. */
  since?: string;
}

/** Reasons the read model gives when no condition says more. */
export const VIEW_REASONS = {
  NotReconciled: 'NotReconciled',
  NewerGeneration: 'NewerGeneration',
} as const;

export interface StatefulObject {
  metadata: { generation?: number };
  status?: { conditions?: Condition[]; observedGeneration?: number };
}

/** The state of one object from its conditions and generations. */
export function stateOf(object: StatefulObject): StateView {
  const conditions = object.status?.conditions ?? [];
  const byType = (type: string) => conditions.find((c) => c.type === type);
  const from = (state: ObjectState, c: Condition): StateView => ({
    state,
    reason: c.reason,
    message: c.message,
    since: c.lastTransitionTime,
  });

  const stalled = byType('Stalled');
  if (stalled?.status === 'True') return from('Stalled', stalled);
  // Synced first: it says what the last reconcile ran into, Ready what that means for its use.
  const failing = ['Synced', 'Ready']
    .map(byType)
    .filter((c): c is Condition => c !== undefined && c.status === 'False');
  const withOutcome = (...outcomes: string[]) => failing.find((c) => outcomes.includes(outcomeOf(c.reason)));
  const terminal = withOutcome('TerminalSpec', 'TerminalExternal', 'Reported');
  if (terminal) return from('Stalled', terminal);
  const retried = withOutcome('Retried', 'Unknown');
  if (retried) return from('Failing', retried);
  const ended = withOutcome('Ended');
  if (ended) return from('Ended', ended);
  const reconciling = byType('Reconciling');
  if (reconciling?.status === 'True') return from('Reconciling', reconciling);
  const waiting = failing[0];
  if (waiting) return from('Reconciling', waiting);
  const ready = byType('Ready');
  if (ready?.status !== 'True') {
    return ready
      ? from('Reconciling', ready)
      : {
          state: 'Reconciling',
          reason: VIEW_REASONS.NotReconciled,
          message: 'Keyless has not reconciled this object yet.',
        };
  }
  const generation = object.metadata.generation;
  const observed = object.status?.observedGeneration ?? ready.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return {
      state: 'Reconciling',
      reason: VIEW_REASONS.NewerGeneration,
      message: `Keyless is applying generation ${generation}; the conditions are for generation ${observed}.`,
      since: ready.lastTransitionTime,
    };
  }
  const drifted = byType('Drifted');
  if (drifted?.status === 'True') return from('Drifted', drifted);
  return from('Ready', ready);
}

/** A reason's outcome from the catalogue; `Unknown` for a reason Keyless does not write. */
function outcomeOf(reason: string): string {
  return isReason(reason) ? REASONS[reason].outcome : 'Unknown';
}
