/**
 * Every reason Keyless writes into a condition or an Event, with what it means to a user, which
 * conditions carry it and what kind of outcome it is. Reconcilers and providers both use these
 * constants; the README's table of reasons is generated from this catalogue.
 */

/** What a reason says about the object's future: whether and when Keyless tries again. */
export const OUTCOMES = {
  Success: 'The object is as declared. Nothing is retried.',
  Reported:
    'A finding, not a failure: Keyless reports it and changes nothing (driftPolicy Report, managementPolicy ObserveOnly). Checked again at every resync.',
  Ended: 'A temporary grant reached its end and was removed. Nothing more happens unless the spec changes.',
  Waiting:
    'Not a failure: the object waits for another object to exist, to be Ready or to go, and is reconciled again when that object changes. No backoff.',
  Retried:
    "A transient failure: retried with per-object exponential backoff (5 ms doubling up to about 17 minutes); when throttled, no sooner than the cloud's Retry-After.",
  TerminalSpec:
    "Terminal because of the object's spec: it asks for something that cannot be done. Not retried until the spec changes (a new generation).",
  TerminalExternal:
    "Terminal because of something outside the object: the account, its guardrails, the cloud, the operator. Not retried with backoff; fix the cause: the object is checked again at its account's resync interval (jittered), and at once when the object or its account changes.",
  ReviewFailed:
    "A usage review could not read the cloud's record; identities and grants still converge and stay Ready, and the review is tried again after an hour (or the review interval, when shorter).",
} as const;
export type Outcome = keyof typeof OUTCOMES;

/**
 * Where a reason appears: a condition type, or the reason of an Event. `Reconciling` and `Stalled`
 * are kstatus's abnormal-true conditions: a reason that can leave Ready or Synced False carries
 * exactly one of them, which says whether Keyless is still working toward the spec (Reconciling:
 * kstatus InProgress) or cannot get there until something else changes (Stalled: kstatus Failed).
 */
export type Carrier =
  | 'Ready'
  | 'Synced'
  | 'Drifted'
  | 'Reconciling'
  | 'Stalled'
  | 'Unused'
  | 'UsageReviewed'
  | 'Event';

export interface ReasonEntry {
  /** One sentence a user understands. */
  meaning: string;
  carriedBy: readonly Carrier[];
  outcome: Outcome;
}

/**
 * A cloud or operator failure: reported on Synced and as a Warning Event, on Ready when it blocks
 * use, and on Reconciling while it is retried or Stalled when it is terminal.
 */
const RETRIED: readonly Carrier[] = ['Ready', 'Synced', 'Reconciling', 'Event'];
const TERMINAL: readonly Carrier[] = ['Ready', 'Synced', 'Stalled', 'Event'];
/** Waiting for another Keyless object, which gets there by itself. */
const WAITING: readonly Carrier[] = ['Ready', 'Synced', 'Reconciling'];
/** Waiting for an object that does not exist: only someone creating it (or fixing the reference) helps. */
const MISSING: readonly Carrier[] = ['Ready', 'Synced', 'Stalled'];
/** A usage review that could not read the cloud: said on the account, never on the identity's Ready. */
const REVIEW_FAILURE: readonly Carrier[] = ['UsageReviewed', 'Event'];

export const REASONS = {
  // Success
  Available: {
    meaning: 'The cloud identity or the grants exist as declared and the workload can use them.',
    carriedBy: ['Ready'],
    outcome: 'Success',
  },
  ReconcileSuccess: {
    meaning: 'The last reconcile did everything the spec asks.',
    carriedBy: ['Synced'],
    outcome: 'Success',
  },
  CredentialsValid: {
    meaning: "The operator's credentials work in this cloud account.",
    carriedBy: ['Ready'],
    outcome: 'Success',
  },
  Observed: {
    meaning:
      'With managementPolicy ObserveOnly: the cloud identity or the grants exist; Keyless writes nothing.',
    carriedBy: ['Ready'],
    outcome: 'Success',
  },
  NoDrift: { meaning: 'The cloud matches the spec.', carriedBy: ['Drifted'], outcome: 'Success' },
  DriftCorrected: {
    meaning:
      'Keyless found out-of-band changes in the cloud and put the spec back; the Event names each field.',
    carriedBy: ['Drifted', 'Event'],
    outcome: 'Success',
  },
  Created: {
    meaning:
      'Keyless created again the cloud identity or the grants of a Ready object, which no longer existed in the cloud (a first creation is told by Ready and the audit stream).',
    carriedBy: ['Event'],
    outcome: 'Success',
  },
  Updated: {
    meaning: 'Keyless applied a changed spec to the cloud.',
    carriedBy: ['Event'],
    outcome: 'Success',
  },
  Adopted: {
    meaning: 'Keyless took over an existing cloud identity, as the annotation keyless.dev/adopt asked.',
    carriedBy: ['Event'],
    outcome: 'Success',
  },
  Retained: {
    meaning:
      'The object was deleted and its cloud identity left in place (deletionPolicy Retain, or ObserveOnly).',
    carriedBy: ['Event'],
    outcome: 'Success',
  },

  Reviewed: {
    meaning:
      "The usage review read the cloud's record: the identity and its grants were used within the account's review.unusedAfter (Unused False), or the account's reviews work (UsageReviewed True).",
    carriedBy: ['Unused', 'UsageReviewed'],
    outcome: 'Success',
  },

  // Reported
  Unused: {
    meaning:
      "The usage review found the identity never used, or grants unused, for longer than the account's review.unusedAfter; the message names each grant and the cloud's evidence.",
    carriedBy: ['Unused', 'Event'],
    outcome: 'Reported',
  },
  NotReviewed: {
    meaning:
      "The usage review has no evidence to judge by yet (Unused Unknown): the identity's first review is an interval after its creation, the cloud cannot tell its use, or its last review failed; the message says which.",
    carriedBy: ['Unused'],
    outcome: 'Reported',
  },
  DriftDetected: {
    meaning: 'The cloud differs from the spec and driftPolicy is Report; status.drift lists each field.',
    carriedBy: ['Drifted'],
    outcome: 'Reported',
  },
  NotFoundInCloud: {
    meaning: 'With managementPolicy ObserveOnly: the cloud identity or the grants do not exist.',
    carriedBy: ['Ready', 'Stalled'],
    outcome: 'Reported',
  },

  // Ended
  Expired: {
    meaning:
      "A temporary grant's end (expiresAt, or duration after creation) has passed; its grants were removed.",
    carriedBy: ['Ready', 'Stalled', 'Event'],
    outcome: 'Ended',
  },

  // Waiting
  AccountNotFound: {
    meaning:
      'The CloudAccount named in spec.accountRef does not exist (on delete: it is gone, so the cloud identity is left in place).',
    carriedBy: [...MISSING, 'Event'],
    outcome: 'Waiting',
  },
  AccountNotReady: {
    meaning:
      'The CloudAccount is not Ready (its own Ready condition says why); a new identity whose account has not been checked yet keeps an empty status (`observedGeneration: 0`, in progress) until that first check wakes it.',
    carriedBy: WAITING,
    outcome: 'Waiting',
  },
  IdentityNotFound: {
    meaning: 'The WorkloadIdentity named in spec.identityRef does not exist.',
    carriedBy: MISSING,
    outcome: 'Waiting',
  },
  IdentityNotReady: {
    meaning: 'The WorkloadIdentity is not Ready yet (or, on Azure, has no principal id yet).',
    carriedBy: [...WAITING, 'Event'],
    outcome: 'Waiting',
  },
  ServiceAccountNotFound: {
    meaning:
      'A ServiceAccount named in spec.subjects does not exist and create is not set; checked again every minute.',
    carriedBy: ['Ready', 'Reconciling'],
    outcome: 'Waiting',
  },
  ServiceAccountClaimed: {
    meaning:
      "An older WorkloadIdentity's annotation for the same cloud is on the ServiceAccount, so pods using it get that identity; checked again at every resync.",
    carriedBy: ['Ready', 'Stalled'],
    outcome: 'Waiting',
  },
  FunctionNotFound: {
    meaning:
      'A function named in spec.subjects[].serverless (a Lambda function, a Cloud Run service, an Azure site in functionApps) does not exist (status.functions names it), while the other functions still converge; checked again every minute.',
    carriedBy: ['Ready', 'Reconciling'],
    outcome: 'Waiting',
  },
  WaitingForBindings: {
    meaning:
      "Deletion waits until the identity's IdentityBindings are deleted, said once one of them has not followed within 10 s of the identity's deletion.",
    carriedBy: WAITING,
    outcome: 'Waiting',
  },
  WaitingForIdentities: {
    meaning: "Deletion waits until the account's WorkloadIdentities are deleted.",
    carriedBy: WAITING,
    outcome: 'Waiting',
  },

  // Retried
  Throttled: {
    meaning:
      "The cloud throttled the operator's calls; retried no sooner than its Retry-After, and every call to the account slows down.",
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  CloudUnavailable: {
    meaning: 'The cloud did not answer, or answered with a server error (5xx, timeout, reset).',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  Conflict: {
    meaning: 'Another change to the same cloud object was in progress (a stale etag, a concurrent write).',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  NotFound: {
    meaning:
      'The cloud does not show an object Keyless needs, usually one just created (the clouds are eventually consistent).',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  AlreadyExists: {
    meaning:
      'The cloud already has an object with this name; the retry observes it and decides (NotOwned if it is someone else’s).',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  Deleting: {
    meaning:
      'The cloud is still deleting the identity (Azure accepts deletes for later); retried until it is gone.',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  Timeout: {
    meaning:
      "A step did not finish in time (the reconcile's deadline, --reconcile-timeout, or one cloud call's, --cloud-call-timeout); its calls were stopped and it is retried with backoff.",
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  RolePropagating: {
    meaning:
      "Lambda refused the identity's role because it cannot assume it yet (IAM has not propagated a role just created or changed); retried with backoff.",
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  KubernetesError: {
    meaning: 'A Kubernetes API call (the finalizer, a ServiceAccount) failed.',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },
  CloudError: {
    meaning: 'An unexpected error that no cloud classifier recognised; the message has the details.',
    carriedBy: RETRIED,
    outcome: 'Retried',
  },

  // Terminal because of the spec
  InvalidSpec: {
    meaning:
      'The spec asks for something this cloud cannot do (a subject it cannot trust, too many tags, a session duration out of its range); the message names the field.',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  InvalidGrant: {
    meaning:
      'A grant cannot be translated for this cloud (not an ARN or resource ID, a resource ID the cloud would read as another path, no catalogue entry, actions outside AWS, a basic role that cannot carry a condition); the message names the grant.',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  UnsupportedResource: {
    meaning:
      'This cloud cannot narrow a grant to that kind of resource (such as a Pub/Sub topic); the message says what to grant instead.',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  DirectAccessUnsupported: {
    meaning:
      'The grant is for a Google Cloud product that does not accept federated principals, so an identity in gcp mode Direct cannot use it (the message names the product; use mode ServiceAccount).',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  CrossNamespaceReference: {
    meaning:
      'spec.identityRef names another namespace; a binding may only use a WorkloadIdentity in its own.',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  TooManySubjects: {
    meaning:
      'An Azure managed identity takes at most 20 federated credentials, and the identity has more ServiceAccount subjects.',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  RoleNotFound: {
    meaning: 'The role a grant names is not defined at that scope (Azure).',
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },
  InvalidRequest: {
    meaning:
      "The cloud refused a value Keyless sent as invalid (such as a malformed policy); the cloud's message names it.",
    carriedBy: TERMINAL,
    outcome: 'TerminalSpec',
  },

  RevokedUnused: {
    meaning:
      "With the account's review.action Revoke: grants unused for longer than review.unusedAfter were removed from the cloud (status.usage.revoked lists them); edit the binding to grant them again, or delete it.",
    carriedBy: ['Synced', 'Stalled', 'Event'],
    outcome: 'TerminalSpec',
  },

  // Review failed
  UsageReviewForbidden: {
    meaning:
      "The operator may not read the cloud's usage record; the message names the API and the permission (AWS iam:GenerateServiceLastAccessedDetails and iam:GetServiceLastAccessedDetails; Google Cloud policyanalyzer.serviceAccountLastAuthenticationActivities.query; Azure the Microsoft Graph permission AuditLog.Read.All).",
    carriedBy: REVIEW_FAILURE,
    outcome: 'ReviewFailed',
  },
  UsageApiDisabled: {
    meaning:
      'The cloud API that holds the usage record is not enabled for the account (Google Cloud: policyanalyzer.googleapis.com); the message names it.',
    carriedBy: REVIEW_FAILURE,
    outcome: 'ReviewFailed',
  },
  UsageReviewIncomplete: {
    meaning:
      "The cloud did not finish the usage report within the reconcile's time (AWS: the service-last-accessed job stayed IN_PROGRESS, or FAILED).",
    carriedBy: REVIEW_FAILURE,
    outcome: 'ReviewFailed',
  },

  // Terminal because of something outside the object
  NotOwned: {
    meaning:
      'A cloud identity with this name exists and is not tagged as this object’s; annotate the object keyless.dev/adopt: "true" to take it over.',
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  NamespaceNotAllowed: {
    meaning: "The CloudAccount's guardrails.allowedNamespaces does not include this namespace.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  GuardrailViolation: {
    meaning:
      "A grant or identity breaks the account's guardrails (allowed resources, denied actions or roles, maximum access or duration, required permissions boundary); the message names each grant and rule.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  EscalationRefused: {
    meaning:
      'A grant would let the workload widen its own access; refused unless the account allows it item by item with guardrails.allowEscalation.',
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  AccessDenied: {
    meaning: "The operator's cloud credentials lack a permission; the cloud's message names it.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  FunctionAccessDenied: {
    meaning:
      "The operator may not read or change a function (Lambda: lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration, or iam:PassRole on the identity's role; a Cloud Run service: run.services.get, run.services.update, or iam.serviceAccounts.actAs on the identity's service account; an Azure site: Microsoft.Web/sites/read or write, userAssignedIdentities/assign/action, or the app-settings actions), while the other functions still converge; status.functions names the function and the permission.",
    carriedBy: ['Ready', 'Stalled'],
    outcome: 'TerminalExternal',
  },
  AssociationConflict: {
    meaning:
      'An EKS Pod Identity association Keyless does not own already holds a ServiceAccount subject (EKS allows one per ServiceAccount), so Keyless leaves it alone while the other subjects converge; status.podIdentityAssociations names it and whose it is.',
    carriedBy: ['Ready', 'Stalled'],
    outcome: 'TerminalExternal',
  },
  FunctionRoleDeleted: {
    meaning:
      'The identity was deleted with deletionPolicy Delete while a Lambda function still runs as its role, or a Cloud Run service as its service account; Keyless leaves the function as it is, and it cannot start until it is given another role or service account.',
    carriedBy: ['Event'],
    outcome: 'Success',
  },
  InvalidCredentials: {
    meaning:
      "The operator's credentials for the account are missing, malformed or refused (the Secret's keys, an expired token).",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  InvalidAccount: {
    meaning:
      "The CloudAccount's spec cannot be used for this cloud (such as a workloadIdentityPool of neither accepted form).",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  AccountMismatch: {
    meaning: "The operator's AWS credentials are for another account than spec.aws.accountId.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  OIDCProviderNotFound: {
    meaning:
      "The IAM OIDC provider for the cluster's issuer does not exist; create it, or set spec.aws.oidcProvider.manage: true.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  LimitExceeded: {
    meaning:
      "A cloud quota is reached (such as IAM roles per AWS account, role assignments per Azure subscription); the cloud's message names it.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  PolicyTooLarge: {
    meaning:
      "The role's inline policies, this binding's and the identity's other bindings' together, would exceed AWS's 10,240 characters; the message names the first grant that does not fit.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  TooManyCredentials: {
    meaning:
      'The Azure managed identity would have more than 20 federated credentials, counting ones Keyless did not write.',
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  ResourceGroupNotFound: {
    meaning: 'The Azure resource group the identity is created in does not exist.',
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  SubscriptionNotFound: {
    meaning:
      'The Azure subscription spec.azure.subscriptionId does not exist, or the operator cannot see it.',
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  RoleAssignmentUpdateNotPermitted: {
    meaning:
      "An Azure role assignment with Keyless's name exists for another principal, role or scope, and Azure does not change one in place; delete it.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
  ProviderUnavailable: {
    meaning:
      "This cloud's provider is not in this build of the operator, or its module failed to load; upgrade or restart the operator.",
    carriedBy: TERMINAL,
    outcome: 'TerminalExternal',
  },
} as const satisfies Record<string, ReasonEntry>;

export type Reason = keyof typeof REASONS;

/** `Reason.NotOwned === 'NotOwned'`: the constants to write, checked by the compiler. */
export const Reason = Object.fromEntries(Object.keys(REASONS).map((name) => [name, name])) as {
  readonly [R in Reason]: R;
};

export function isReason(value: string): value is Reason {
  return Object.hasOwn(REASONS, value);
}

/**
 * Which of kstatus's conditions a reason left on Ready or Synced (as False) raises: Reconciling
 * while Keyless still gets there by itself, Stalled when only a change elsewhere helps.
 */
export function progressOf(reason: string): 'Reconciling' | 'Stalled' | undefined {
  if (!isReason(reason)) return undefined;
  const carriers: readonly Carrier[] = REASONS[reason].carriedBy;
  if (carriers.includes('Stalled')) return 'Stalled';
  if (carriers.includes('Reconciling')) return 'Reconciling';
  return undefined;
}
