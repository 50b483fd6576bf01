/** Condition reasons and Event reasons: CamelCase constants, one meaning each. */
export const Reason = {
  Available: 'Available',
  ReconcileSuccess: 'ReconcileSuccess',
  Creating: 'Creating',
  Deleting: 'Deleting',
  NoDrift: 'NoDrift',
  DriftDetected: 'DriftDetected',
  DriftCorrected: 'DriftCorrected',
  Created: 'Created',
  Updated: 'Updated',
  Deleted: 'Deleted',
  Retained: 'Retained',
  Observed: 'Observed',
  NotFoundInCloud: 'NotFoundInCloud',
  NotOwned: 'NotOwned',
  Adopted: 'Adopted',
  AccountNotFound: 'AccountNotFound',
  AccountNotReady: 'AccountNotReady',
  NamespaceNotAllowed: 'NamespaceNotAllowed',
  CrossNamespaceReference: 'CrossNamespaceReference',
  IdentityNotFound: 'IdentityNotFound',
  IdentityNotReady: 'IdentityNotReady',
  GuardrailViolation: 'GuardrailViolation',
  InvalidSpec: 'InvalidSpec',
  Expired: 'Expired',
  ServiceAccountNotFound: 'ServiceAccountNotFound',
  ServiceAccountClaimed: 'ServiceAccountClaimed',
  WaitingForBindings: 'WaitingForBindings',
  WaitingForIdentities: 'WaitingForIdentities',
  CredentialsValid: 'CredentialsValid',
  CloudError: 'CloudError',
  Throttled: 'Throttled',
  KubernetesError: 'KubernetesError',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/**
 * Terminal reasons whose cause lies outside the object: someone may fix it without touching the
 * object (tag the identity, grant the operator a permission, relax the account's guardrails,
 * raise a limit), so the object is checked again at its account's resync interval. Any other
 * terminal reason is the object's own spec and waits for the spec to change.
 */
const OUTSIDE_THE_OBJECT = new Set<string>([
  'NotOwned',
  'AccessDenied',
  'AuthorizationFailed',
  'PermissionDenied',
  'InvalidCredentials',
  'AccountMismatch',
  'OIDCProviderNotFound',
  'LimitExceeded',
  'RoleAssignmentLimitExceeded',
  'GuardrailViolation',
  'EscalationRefused',
  'NamespaceNotAllowed',
  'ProviderUnavailable',
  'RoleNotFound',
  'InvalidAccount',
]);

export function causeOutsideObject(reason: string): boolean {
  return OUTSIDE_THE_OBJECT.has(reason);
}
