import type { CloudAccount, ProviderName } from '../api/cloud-account.js';
import type { Condition, Drift } from '../api/conditions.js';
import type { IdentityBinding } from '../api/identity-binding.js';
import type { Subject, WorkloadIdentity } from '../api/workload-identity.js';
import { grantsEndAt } from '../policy/expiry.js';
import type { CloudChange } from './changes.js';
import type { ConditionTransition } from './condition-history.js';
import type { KeylessEvent } from './events.js';
import { type StateView, stateOf } from './state.js';

export type ViewKind = 'CloudAccount' | 'WorkloadIdentity' | 'IdentityBinding';
export type NamespacedKind = Exclude<ViewKind, 'CloudAccount'>;

/** What the read model is built from: objects, Events and audit entries, however they were read. */
export interface ReadModelInput {
  accounts: readonly CloudAccount[];
  identities: readonly WorkloadIdentity[];
  bindings: readonly IdentityBinding[];
  /** Events about Keyless objects, in any order (see eventFromKube). */
  events?: readonly KeylessEvent[];
  /** Audit-stream entries, in any order. */
  changes?: readonly CloudChange[];
  /** Condition transitions seen for an object, by uid (see ConditionHistory). */
  history?: (uid: string) => readonly ConditionTransition[];
  /** Milliseconds since the epoch: what "ends within" and "ended" are measured against. */
  now: number;
}

export interface ConditionView {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
  since: string;
}

/** A labelled value a person may copy (a principal's ARN, a client id). */
export interface Field {
  label: string;
  value: string;
}

interface ViewBase extends StateView {
  kind: ViewKind;
  namespace?: string;
  name: string;
  uid?: string;
  cloud?: ProviderName;
  account?: string;
  created?: string;
  /** Set while the object is being deleted: when deletion was asked for. */
  deleting?: string;
  conditions: ConditionView[];
  /** Condition transitions, oldest first. */
  history: ConditionTransition[];
  drift: Drift[];
  /** Newest first, at most EVENTS_PER_OBJECT. */
  events: KeylessEvent[];
  /** Newest first, at most CHANGES_PER_OBJECT. */
  changes: CloudChange[];
}

export interface AccountView extends ViewBase {
  kind: 'CloudAccount';
  cloud: ProviderName;
  account: string;
  /** The account id, project or subscription. */
  target: Field;
  callerIdentity?: string;
  identityCount?: number;
  guardrails: Field[];
}

export interface SubjectView {
  kind: 'ServiceAccount' | 'Serverless';
  /** The ServiceAccount's name, or the platform. */
  name: string;
  /** How the cloud's trust names it: system:serviceaccount:NS:NAME, or the platform's functions. */
  trusted: string;
}

/** A function that runs as the identity, or an EKS Pod Identity association, as status reports it. */
export interface AttachmentView {
  /** A function's ID (ARN, Cloud Run service, site), or the ServiceAccount of an association. */
  target: string;
  kind: 'Function' | 'PodIdentityAssociation';
  state: string;
  message?: string;
}

export interface IdentityView extends ViewBase {
  kind: 'WorkloadIdentity';
  namespace: string;
  account: string;
  principal?: { id?: string; fields: Field[] };
  externalName?: string;
  subjects: SubjectView[];
  driftPolicy: 'Correct' | 'Report';
  managementPolicy: 'Manage' | 'ObserveOnly';
  deletionPolicy: 'Delete' | 'Retain';
  /** The names of its IdentityBindings. */
  bindings: string[];
  /** When the cloud last saw it used (its usage review), when it has. */
  lastUsed?: string;
  /** The usage review found it unused for longer than its account's review.unusedAfter. */
  unused?: boolean;
  /** When the usage review last asked the cloud; unset before the first review. */
  reviewedAt?: string;
  /** Why the cloud cannot tell this identity's use, when it cannot. */
  usageUnavailable?: string;
  /** Why the last usage review failed, when it did. */
  usageError?: string;
  /** The functions and Pod Identity associations status reports, when there are any. */
  attachments?: AttachmentView[];
}

export interface GrantView {
  resource: string;
  /** What the spec asks for: `read access`, `actions s3:GetObject, s3:ListBucket`, `role roles/viewer`. */
  wanted: string;
  /** What the cloud now allows on the resource, as Keyless last applied it. */
  allowed?: string;
  /** When the cloud last saw the grant's services (or its identity) used, per the usage review. */
  lastUsed?: string;
}

export interface BindingView extends ViewBase {
  kind: 'IdentityBinding';
  namespace: string;
  identity: string;
  principal?: string;
  grants: GrantView[];
  /** When the grants end (RFC 3339), for a temporary binding. */
  expiresAt?: string;
  /** The resources of the grants the usage review found unused (its Unused condition is True). */
  unusedGrants?: string[];
}

export type ObjectView = AccountView | IdentityView | BindingView;

export interface ReadModel {
  /** Milliseconds since the epoch the model was built at. */
  now: number;
  accounts: AccountView[];
  identities: IdentityView[];
  bindings: BindingView[];
}

export const EVENTS_PER_OBJECT = 20;
export const CHANGES_PER_OBJECT = 20;

/** The views of every object, each sorted by namespace and name. Pure: the same input, the same model. */
export function buildReadModel(input: ReadModelInput): ReadModel {
  const events = eventsByObject(input.events ?? []);
  const changes = changesByOwner(input.changes ?? []);
  const common = (kind: ViewKind, object: CloudAccount | WorkloadIdentity | IdentityBinding) => {
    const { metadata } = object;
    const uid = metadata.uid;
    return {
      ...stateOf(object),
      kind,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      name: metadata.name,
      ...(uid ? { uid } : {}),
      ...(metadata.creationTimestamp ? { created: metadata.creationTimestamp } : {}),
      ...(metadata.deletionTimestamp ? { deleting: metadata.deletionTimestamp } : {}),
      conditions: (object.status?.conditions ?? []).map(conditionView),
      history: uid && input.history ? [...input.history(uid)] : [],
      drift: driftOf(object),
      events: newest(
        [
          ...(uid ? (events.get(uid) ?? []) : []),
          ...(events.get(refKey(kind, metadata.namespace, metadata.name)) ?? []),
        ],
        EVENTS_PER_OBJECT,
      ),
      changes: newest(uid ? (changes.get(uid) ?? []) : [], CHANGES_PER_OBJECT),
    };
  };

  const accounts = new Map(input.accounts.map((a) => [a.metadata.name, a]));
  const identityKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
  const identities = new Map(
    input.identities.map((wi) => [identityKey(wi.metadata.namespace, wi.metadata.name), wi]),
  );
  const bindingsOf = new Map<string, string[]>();
  for (const ib of input.bindings) {
    const key = identityKey(ib.metadata.namespace, ib.spec.identityRef.name);
    bindingsOf.set(key, [...(bindingsOf.get(key) ?? []), ib.metadata.name]);
  }

  const accountViews = input.accounts.map(
    (account): AccountView => ({
      ...common('CloudAccount', account),
      kind: 'CloudAccount',
      cloud: account.spec.provider,
      account: account.metadata.name,
      target: targetOf(account),
      ...(account.status?.callerIdentity ? { callerIdentity: account.status.callerIdentity } : {}),
      ...(account.status?.identityCount !== undefined ? { identityCount: account.status.identityCount } : {}),
      guardrails: guardrailsOf(account),
    }),
  );

  const identityViews = input.identities.map((identity): IdentityView => {
    const namespace = identity.metadata.namespace ?? '';
    const cloud = accounts.get(identity.spec.accountRef.name)?.spec.provider;
    const principal = identity.status?.principal;
    return {
      ...common('WorkloadIdentity', identity),
      kind: 'WorkloadIdentity',
      namespace,
      ...(cloud ? { cloud } : {}),
      account: identity.spec.accountRef.name,
      ...(principal
        ? { principal: { ...(principal.id ? { id: principal.id } : {}), fields: principalFields(principal) } }
        : {}),
      ...(identity.status?.externalName ? { externalName: identity.status.externalName } : {}),
      subjects: identity.spec.subjects.map((s) => subjectView(s, namespace)),
      driftPolicy: identity.spec.driftPolicy ?? 'Correct',
      managementPolicy: identity.spec.managementPolicy ?? 'Manage',
      deletionPolicy: identity.spec.deletionPolicy ?? 'Delete',
      bindings: [...(bindingsOf.get(identityKey(namespace, identity.metadata.name)) ?? [])].sort(),
      ...(identity.status?.usage?.lastUsed ? { lastUsed: identity.status.usage.lastUsed } : {}),
      ...(isUnused(identity) ? { unused: true } : {}),
      ...(identity.status?.usage?.reviewedAt ? { reviewedAt: identity.status.usage.reviewedAt } : {}),
      ...(identity.status?.usage?.unavailable ? { usageUnavailable: identity.status.usage.unavailable } : {}),
      ...(identity.status?.usage?.error ? { usageError: identity.status.usage.error.message } : {}),
      ...attachmentsOf(identity),
    };
  });

  const bindingViews = input.bindings.map((binding): BindingView => {
    const namespace = binding.metadata.namespace ?? '';
    const identity = identities.get(identityKey(namespace, binding.spec.identityRef.name));
    const accountName = identity?.spec.accountRef.name;
    const cloud = accountName ? accounts.get(accountName)?.spec.provider : undefined;
    const expiresAt = binding.status?.expiresAt ?? endOf(binding);
    const applied = new Map((binding.status?.grants ?? []).map((g) => [g.resource, g.summary]));
    const usage = new Map((binding.status?.usage?.grants ?? []).map((g) => [g.resource, g]));
    const unusedGrants = isUnused(binding)
      ? (binding.status?.usage?.grants ?? []).filter((g) => !g.lastUsed).map((g) => g.resource)
      : [];
    return {
      ...common('IdentityBinding', binding),
      kind: 'IdentityBinding',
      namespace,
      identity: binding.spec.identityRef.name,
      ...(accountName ? { account: accountName } : {}),
      ...(cloud ? { cloud } : {}),
      ...(identity?.status?.principal?.id ? { principal: identity.status.principal.id } : {}),
      grants: binding.spec.grants.map((grant) => {
        const allowed = applied.get(grant.resource);
        const lastUsed = usage.get(grant.resource)?.lastUsed;
        return {
          resource: grant.resource,
          wanted: wantedOf(grant),
          ...(allowed !== undefined ? { allowed } : {}),
          ...(lastUsed ? { lastUsed } : {}),
        };
      }),
      ...(expiresAt ? { expiresAt } : {}),
      ...(unusedGrants.length > 0 ? { unusedGrants } : {}),
    };
  });

  return {
    now: input.now,
    accounts: accountViews.sort(byName),
    identities: identityViews.sort(byName),
    bindings: bindingViews.sort(byName),
  };
}

/** Every view of the model: accounts, then identities, then bindings. */
export function allViews(model: ReadModel): ObjectView[] {
  return [...model.accounts, ...model.identities, ...model.bindings];
}

function driftOf(object: CloudAccount | WorkloadIdentity | IdentityBinding): Drift[] {
  return object.status && 'drift' in object.status ? [...(object.status.drift ?? [])] : [];
}

function conditionView(c: Condition): ConditionView {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    since: c.lastTransitionTime,
  };
}

function targetOf(account: CloudAccount): Field {
  const { spec } = account;
  if (spec.provider === 'aws') return { label: 'AWS account', value: spec.aws?.accountId ?? '' };
  if (spec.provider === 'gcp') return { label: 'Google Cloud project', value: spec.gcp?.projectId ?? '' };
  return { label: 'Azure subscription', value: spec.azure?.subscriptionId ?? '' };
}

function guardrailsOf(account: CloudAccount): Field[] {
  const g = account.spec.guardrails;
  if (!g) return [];
  const list = (label: string, values: readonly string[] | undefined) =>
    values && values.length > 0 ? [{ label, value: values.join(', ') }] : [];
  return [
    ...list('allowed namespaces', g.allowedNamespaces),
    ...list('allowed resources', g.allowedResources),
    ...list('denied actions', g.deniedActions),
    ...list('denied roles', g.deniedRoles),
    ...list('escalation allowed', g.allowEscalation),
    ...(g.maxAccess ? [{ label: 'highest access', value: g.maxAccess }] : []),
    ...(g.maxGrantDuration ? [{ label: 'longest grant', value: g.maxGrantDuration }] : []),
  ];
}

const PRINCIPAL_LABELS: Record<string, string> = {
  roleArn: 'role ARN',
  email: 'service account',
  clientId: 'client id',
  principalId: 'principal id',
  resourceId: 'resource ID',
  tenantId: 'tenant id',
  members: 'IAM principal',
};

function principalFields(principal: Record<string, string | string[] | undefined>): Field[] {
  return Object.entries(PRINCIPAL_LABELS).flatMap(([key, label]) => {
    const value = principal[key];
    const values = Array.isArray(value) ? value : value ? [value] : [];
    return values.map((v) => ({ label, value: v }));
  });
}

const PLATFORMS: Record<string, string> = {
  AWSLambda: 'AWS Lambda functions (lambda.amazonaws.com)',
  GCPCloudRunFunction: 'Cloud Run functions running as this service account',
  AzureFunction: 'Azure Functions apps assigned this identity',
};

function attachmentsOf(identity: WorkloadIdentity): { attachments?: AttachmentView[] } {
  const message = (m: string | undefined) => (m ? { message: m } : {});
  const attachments: AttachmentView[] = [
    ...(identity.status?.functions ?? []).map(
      (f): AttachmentView => ({ target: f.arn, kind: 'Function', state: f.state, ...message(f.message) }),
    ),
    ...(identity.status?.podIdentityAssociations ?? []).map(
      (a): AttachmentView => ({
        target: a.serviceAccount,
        kind: 'PodIdentityAssociation',
        state: a.state,
        ...message(a.message),
      }),
    ),
  ];
  return attachments.length > 0 ? { attachments } : {};
}

function subjectView(subject: Subject, namespace: string): SubjectView {
  if (subject.serviceAccount) {
    return {
      kind: 'ServiceAccount',
      name: subject.serviceAccount.name,
      trusted: `system:serviceaccount:${namespace}:${subject.serviceAccount.name}`,
    };
  }
  const platform = subject.serverless?.platform ?? '';
  const deployers = subject.serverless?.deployers ?? [];
  return {
    kind: 'Serverless',
    name: platform,
    trusted: `${PLATFORMS[platform] ?? platform}${deployers.length > 0 ? `; deployed by ${deployers.join(', ')}` : ''}`,
  };
}

function wantedOf(grant: IdentityBinding['spec']['grants'][number]): string {
  if (grant.access) return `${grant.access} access`;
  if (grant.actions) return `actions ${grant.actions.join(', ')}`;
  return `role ${grant.role ?? ''}`;
}

function endOf(binding: IdentityBinding): string | undefined {
  try {
    const end = grantsEndAt(binding);
    return end && !Number.isNaN(end.getTime()) ? end.toISOString() : undefined;
  } catch {
    // An unreadable duration: the API server refuses one, and the binding's conditions say so.
    return undefined;
  }
}

export function refKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** Events by the uid of the object they are about, or by kind, namespace and name when they carry no uid. */
function eventsByObject(events: readonly KeylessEvent[]): Map<string, KeylessEvent[]> {
  const map = new Map<string, KeylessEvent[]>();
  for (const event of events) {
    const { kind, namespace, name, uid } = event.regarding;
    const key = uid ?? refKey(kind, namespace, name);
    const list = map.get(key);
    if (list) list.push(event);
    else map.set(key, [event]);
  }
  return map;
}

function changesByOwner(changes: readonly CloudChange[]): Map<string, CloudChange[]> {
  const map = new Map<string, CloudChange[]>();
  for (const change of changes) {
    const list = map.get(change.owner.uid);
    if (list) list.push(change);
    else map.set(change.owner.uid, [change]);
  }
  return map;
}

function newest<T extends { time: string }>(items: readonly T[], limit: number): T[] {
  return [...items].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, limit);
}

function byName(a: { namespace?: string; name: string }, b: { namespace?: string; name: string }): number {
  return (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
}

function isUnused(object: WorkloadIdentity | IdentityBinding): boolean {
  return object.status?.conditions?.some((c) => c.type === 'Unused' && c.status === 'True') ?? false;
}
