import type { PodIdentityAssociationStatus } from '../api/index.js';
import { Reason } from '../api/reasons.js';
import { type ConditionInput, notReady } from './conditions.js';

/**
 * Ready=False while an EKS Pod Identity association Keyless does not own holds one of the
 * identity's ServiceAccounts (pods using it get that association's role, not this identity's).
 * Undefined when there is none.
 */
export function associationsVerdict(
  associations: readonly PodIdentityAssociationStatus[] | undefined,
): ConditionInput | undefined {
  const conflicts = (associations ?? []).filter((a) => a.state === 'Conflict');
  if (conflicts.length === 0) return undefined;
  return notReady(Reason.AssociationConflict, conflicts.map((a) => a.message ?? a.serviceAccount).join(' '));
}
