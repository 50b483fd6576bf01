import { isReason, REASONS, type Reason } from '../api/reasons.js';
import { VIEW_REASONS, type ViewKind } from '../views/index.js';
import { shortRef } from './object-ref.js';

/** What the advice may name: the object, its account, its identity, its policy. */
export interface AdviceFacts {
  kind: ViewKind;
  namespace?: string;
  name: string;
  account?: string;
  identity?: string;
  driftPolicy?: 'Correct' | 'Report';
}

type Advice = (facts: AdviceFacts) => string;

const ns = (f: AdviceFacts) => (f.namespace ? ` -n ${f.namespace}` : '');
const ref = (f: AdviceFacts) => shortRef(f.kind, f.name);
const account = (f: AdviceFacts) => (f.account ? `CloudAccount ${f.account}` : 'the CloudAccount');
const reconcileAfter = (f: AdviceFacts) =>
  `Once that is fixed, \`kubectl keyless reconcile ${ref(f)}${ns(f)}\` has Keyless look again at once.`;
const operatorLogs = "the operator's logs (`kubectl -n keyless-system logs deploy/keyless-operator`)";
const nothing = () => 'Nothing to do: Keyless has this in hand.';
const retried = (what: string) => (f: AdviceFacts) =>
  `${what} Keyless retries by itself with backoff; nothing to do unless it lasts. If it does, read the message above and ${operatorLogs}, then \`kubectl keyless reconcile ${ref(f)}${ns(f)}\`.`;
const fixSpec = (what: string) => (f: AdviceFacts) =>
  `${what} Keyless will not try again until the spec changes: edit it (\`kubectl edit ${ref(f)}${ns(f)}\`) as the message says.`;
const platformAdmin = (what: string) => (f: AdviceFacts) => `${what} ${reconcileAfter(f)}`;

/** Plain words on what to do, for every reason Keyless writes that is not a success. */
const ADVICE: Record<Exclude<Reason, SuccessReason>, Advice> = {
  DriftDetected: (f) =>
    "Someone changed the cloud outside Keyless; the drift above lists each field. Find who in the cloud's audit log " +
    '(CloudTrail, Cloud Audit Logs, the Azure Activity Log). Then put the cloud back, change the spec to say what the ' +
    `cloud should hold, or let Keyless correct it: \`kubectl patch wi ${f.kind === 'IdentityBinding' ? (f.identity ?? 'IDENTITY') : f.name}${ns(f)} --type merge -p '{"spec":{"driftPolicy":"Correct"}}'\`` +
    " (a binding follows its identity's policy).",
  NotFoundInCloud: (f) =>
    'managementPolicy is ObserveOnly and the cloud has no such identity or grants, so Keyless reports it and creates ' +
    `nothing. Create them in the cloud, or let Keyless manage them: set spec.managementPolicy to Manage on ${f.kind === 'IdentityBinding' ? `wi/${f.identity ?? 'IDENTITY'}` : ref(f)}.`,
  Expired: (f) =>
    'The grants reached their end and Keyless removed them from the cloud, as asked. If they are still needed, ' +
    `\`kubectl keyless extend ${ref(f)}${ns(f)} --by 2h\` grants them again (within ${account(f)}'s maxGrantDuration, counted from the binding's creation); otherwise delete the binding.`,
  AccountNotFound: (f) =>
    `The account named in spec.accountRef does not exist. Fix spec.accountRef (\`kubectl get ca\` lists the accounts), or ask a platform admin to create ${account(f)}.`,
  AccountNotReady: (f) =>
    `${account(f)} is not Ready, so nothing using it can be. \`kubectl keyless why ca/${f.account ?? 'ACCOUNT'}\` says why.`,
  IdentityNotFound: (f) =>
    `spec.identityRef names a WorkloadIdentity that does not exist in namespace ${f.namespace}. Create wi/${f.identity ?? 'IDENTITY'}, or fix spec.identityRef.`,
  IdentityNotReady: (f) =>
    `The binding waits for wi/${f.identity ?? 'IDENTITY'} and follows as soon as it is Ready: \`kubectl keyless why wi/${f.identity ?? 'IDENTITY'}${ns(f)}\` says what it waits for.`,
  ServiceAccountNotFound: (f) =>
    `Create the ServiceAccount the message names (\`kubectl create serviceaccount NAME${ns(f)}\`), or set create: true on its subject; Keyless looks again every minute.`,
  ServiceAccountClaimed: () =>
    "An older WorkloadIdentity of the same cloud already names this ServiceAccount, and pods using it get that one. Use another ServiceAccount here, or delete the older identity's subject.",
  FunctionNotFound: (f) =>
    `A function in spec.subjects[].serverless (a Lambda function, or an Azure site in functionApps) does not exist (status.functions names it): create it, or remove it from the list (\`kubectl edit ${ref(f)}${ns(f)}\`). The other functions are set; Keyless looks again every minute.`,
  WaitingForBindings: (f) =>
    `Deletion waits until the identity's bindings are gone: \`kubectl get ib${ns(f)}\` and delete those naming ${f.name}.`,
  WaitingForIdentities: () =>
    'Deletion waits until every WorkloadIdentity using this account is gone (`kubectl get wi -A`), so they can still clean up the cloud.',
  Throttled: retried(
    "The cloud is refusing the operator's calls for their rate; Keyless slows down for the whole account.",
  ),
  CloudUnavailable: retried('The cloud did not answer, or failed.'),
  Conflict: retried('Another change to the same cloud object was in progress.'),
  NotFound: retried(
    'The cloud does not show an object yet, usually one just created (clouds are eventually consistent).',
  ),
  AlreadyExists: retried(
    'The cloud already has an object with this name; the next attempt looks at whose it is.',
  ),
  Deleting: retried('The cloud is still deleting the identity.'),
  Timeout: retried('A step did not finish in time.'),
  RolePropagating: retried(
    "Lambda cannot assume the identity's role yet: IAM is still propagating a role just created or changed.",
  ),
  KubernetesError: retried('A Kubernetes API call of the operator failed.'),
  CloudError: retried('The cloud answered with an error Keyless does not recognise.'),
  InvalidSpec: fixSpec('The spec asks for something this cloud cannot do; the message names the field.'),
  InvalidGrant: fixSpec('A grant cannot be translated for this cloud; the message names the grant.'),
  UnsupportedResource: fixSpec(
    'This cloud cannot narrow a grant to that kind of resource; the message says what to grant instead.',
  ),
  DirectAccessUnsupported: fixSpec(
    'That Google Cloud product does not accept federated principals: set spec.gcp.mode ServiceAccount on the WorkloadIdentity.',
  ),
  CrossNamespaceReference: fixSpec('A binding may only use a WorkloadIdentity in its own namespace.'),
  TooManySubjects: fixSpec(
    'An Azure managed identity takes at most 20 federated credentials: split the subjects over two identities.',
  ),
  RoleNotFound: fixSpec('The role a grant names does not exist at that scope: check its name.'),
  InvalidRequest: fixSpec('The cloud refused a value as invalid; its message names it.'),
  NotOwned: (f) =>
    "A cloud identity with this name exists and is not this object's, so Keyless leaves it alone. If it is meant to be " +
    `taken over, \`kubectl annotate ${ref(f)}${ns(f)} keyless.dev/adopt=true\`; otherwise remove or rename the cloud identity.`,
  NamespaceNotAllowed: platformAdmin(
    "The account's guardrails.allowedNamespaces does not include this namespace. Use another CloudAccount, or ask a platform admin to add the namespace.",
  ),
  GuardrailViolation: (f) =>
    "A grant breaks the account's guardrails, named above. Change the grant to fit them (a narrower resource, a lower access, a shorter duration), " +
    `or ask a platform admin to change ${account(f)}'s guardrails; Keyless judges the binding again as soon as either changes.`,
  EscalationRefused: (f) =>
    'A grant would let the workload widen its own access, which Keyless refuses by default. Drop the grant or narrow it so it no longer allows ' +
    `what the rule above names. If this account's workloads really need it, a platform admin lifts that one rule in ${account(f)}'s guardrails.allowEscalation; ` +
    'Keyless judges the binding again as soon as the account changes.',
  FunctionAccessDenied: platformAdmin(
    "The operator may not read or change a function; status.functions names the function and the permission (Lambda: lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration, or iam:PassRole on the identity's role; Azure sites: the Microsoft.Web and assign actions the README lists). Ask a platform admin to grant it to the operator's identity (README, the cloud's permissions).",
  ),
  AssociationConflict: (f) =>
    'Another EKS Pod Identity association holds the ServiceAccount (status.podIdentityAssociations names it and whose it is), and EKS allows one per ServiceAccount. ' +
    `If it is not needed, delete it (\`aws eks delete-pod-identity-association\`): Keyless then creates its own at the next resync of ${ref(f)}, or at once with \`kubectl keyless reconcile ${ref(f)}${ns(f)}\`.`,
  AccessDenied: platformAdmin(
    "The operator's own cloud credentials lack a permission (the message names it). Grant it to the operator's identity in the cloud (the README lists what each cloud needs).",
  ),
  InvalidCredentials: platformAdmin(
    "The operator's credentials for this account are missing, malformed or refused. Check the account's spec.credentials and its Secret in keyless-system, or the operator's workload identity.",
  ),
  InvalidAccount: platformAdmin(
    "The CloudAccount's spec cannot be used for this cloud; the message names the field. Fix the CloudAccount.",
  ),
  AccountMismatch: platformAdmin(
    "The operator's AWS credentials are for another account than spec.aws.accountId: fix one or the other.",
  ),
  OIDCProviderNotFound: platformAdmin(
    "AWS has no IAM OIDC provider for the cluster's issuer. Create it, or set spec.aws.oidcProvider.manage: true on the CloudAccount.",
  ),
  LimitExceeded: platformAdmin(
    'A cloud quota is reached; the message names it. Free some room, or raise the quota.',
  ),
  PolicyTooLarge: fixSpec(
    "The role's inline policies, this binding's and the identity's other bindings' together, would exceed AWS's 10,240 characters. Fewer or broader-resource grants, or another identity, make room.",
  ),
  TooManyCredentials: platformAdmin(
    'The Azure managed identity would have more than 20 federated credentials, counting ones Keyless did not write: remove some.',
  ),
  ResourceGroupNotFound: platformAdmin(
    'Create the Azure resource group, or point the account or the identity at one that exists.',
  ),
  SubscriptionNotFound: platformAdmin(
    "Check spec.azure.subscriptionId, and that the operator's identity can see the subscription.",
  ),
  RoleAssignmentUpdateNotPermitted: platformAdmin(
    "An Azure role assignment with Keyless's name exists for another principal, role or scope, and Azure does not change one in place: delete it.",
  ),
  Unused: (f) =>
    `The usage review found the identity or grants unused for longer than ${account(f)}'s review.unusedAfter; the message names each grant and the evidence. ` +
    `If they are not needed, remove them from the spec (\`kubectl edit ${ref(f)}${ns(f)}\`) or delete the object; a platform admin may set review.action Revoke to have Keyless remove unused grants.`,
  NotReviewed: (f) =>
    `Nothing to do for a new identity: its first usage review comes one review.interval (${account(f)}'s) after it was created. ` +
    `Otherwise the message says why there is no evidence: the cloud cannot tell (\`kubectl keyless status ${ref(f)}${ns(f)}\`), or the review failed (see ${account(f)}'s UsageReviewed condition).`,
  RevokedUnused: (f) =>
    `Keyless removed grants unused for longer than ${account(f)}'s review.unusedAfter (status.usage.revoked lists them). ` +
    `Edit the binding (\`kubectl edit ${ref(f)}${ns(f)}\`) to grant them again (any change of spec does), or delete it.`,
  UsageReviewIncomplete: retried(
    'The cloud did not finish the usage report in time; the review is tried again within the hour.',
  ),
  ProviderUnavailable: platformAdmin(
    `This cloud's provider is not in the running operator's build, or failed to load: see ${operatorLogs}, upgrade or restart the operator.`,
  ),
  UsageReviewForbidden: platformAdmin(
    "Give the operator's cloud principal the read permission the message names (Google Cloud: roles/policyanalyzer.activityAnalysisViewer on the project; Azure: the Microsoft Graph application permission AuditLog.Read.All, with admin consent); identities and grants are not held up meanwhile.",
  ),
  UsageApiDisabled: platformAdmin(
    'Enable the API the message names in the account (Google Cloud: `gcloud services enable policyanalyzer.googleapis.com --project PROJECT`); identities and grants are not held up meanwhile.',
  ),
};

type SuccessReason = {
  [R in Reason]: (typeof REASONS)[R]['outcome'] extends 'Success' ? R : never;
}[Reason];

/** What to do about a state's reason, in plain words. */
export function adviceFor(reason: string, facts: AdviceFacts): string {
  if (reason === VIEW_REASONS.NotReconciled || reason === VIEW_REASONS.NewerGeneration) {
    return (
      'Keyless has not reconciled this yet. It usually does within seconds; if it does not, check that the operator is running ' +
      '(`kubectl -n keyless-system get deploy keyless-operator`) and read its logs.'
    );
  }
  if (reason === 'Expiring') {
    return `The grants end soon, as asked. If they are needed for longer, \`kubectl keyless extend ${ref(facts)}${ns(facts)} --by 2h\`.`;
  }
  if (!isReason(reason))
    return `Keyless does not know the reason ${reason}; the message above says what happened.`;
  if (REASONS[reason].outcome === 'Success') return nothing();
  return ADVICE[reason as Exclude<Reason, SuccessReason>](facts);
}
