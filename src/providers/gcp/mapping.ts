import type { Grant, Subject } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { type Catalogue, compileCatalogue, fillTemplate } from '../../policy/catalogue/catalogue.js';
import gcpCatalogue from '../../policy/catalogue/gcp.json' with { type: 'json' };
import { fullResourceNameProblem, serviceOf } from '../../policy/gcp-resource-names.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest, GrantRequest, IdentityRequest, Owner, ResolvedGrant } from '../provider.js';
import { deterministicName } from '../shared/naming.js';

export const WORKLOAD_IDENTITY_USER = 'roles/iam.workloadIdentityUser';
export const SERVICE_ACCOUNT_USER = 'roles/iam.serviceAccountUser';
/** Roles Keyless keeps exactly as declared on the service accounts it owns. */
export const MANAGED_SA_ROLES = [WORKLOAD_IDENTITY_USER, SERVICE_ACCOUNT_USER] as const;
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const lookup = compileCatalogue(gcpCatalogue as Catalogue);

export type GcpAccount = NonNullable<AccountRequest['spec']['gcp']>;

export function gcpAccountOf(account: AccountRequest): GcpAccount {
  const gcp = account.spec.gcp;
  if (!gcp) throw terminal(Reason.InvalidAccount, `CloudAccount ${account.name} has no spec.gcp block`);
  return gcp;
}

/** 6–30 characters, lowercase, starting with a letter: `kl-NAMESPACE-NAME-HASH`, clipped. */
export function accountId(owner: Owner): string {
  return deterministicName(owner, { prefix: 'kl', maxLength: 30, invalid: /[^a-z0-9-]/g, lowercase: true });
}

export function serviceAccountEmail(owner: Owner, gcp: GcpAccount): string {
  return `${accountId(owner)}@${gcp.projectId}.iam.gserviceaccount.com`;
}

export function serviceAccountResource(email: string): string {
  return `projects/-/serviceAccounts/${email}`;
}

/** Service accounts have no labels: the owner is written into the description and read back from it. */
const OWNER_PREFIX = 'Managed by Keyless: ';

export function ownerDescription(owner: Owner): string {
  return `${OWNER_PREFIX}cluster=${owner.cluster} namespace=${owner.namespace} name=${owner.name} uid=${owner.uid}`;
}

export function ownerFromDescription(description: string | undefined | null): Owner | undefined {
  if (!description?.startsWith(OWNER_PREFIX)) return undefined;
  const fields = Object.fromEntries(
    description
      .slice(OWNER_PREFIX.length)
      .split(' ')
      .map((pair) => pair.split('=', 2) as [string, string]),
  );
  if (!fields.cluster || !fields.namespace || !fields.name) return undefined;
  return { cluster: fields.cluster, namespace: fields.namespace, name: fields.name, uid: fields.uid ?? '' };
}

export function displayName(request: IdentityRequest): string {
  return (request.spec.gcp?.displayName ?? `keyless ${request.owner.namespace}/${request.owner.name}`).slice(
    0,
    100,
  );
}

/**
 * The member a Kubernetes ServiceAccount is known by: GKE's `PROJECT.svc.id.goog[NS/SA]`, or a
 * workload identity federation pool's `principal://` subject.
 */
export function workloadMember(gcp: GcpAccount, namespace: string, serviceAccount: string): string {
  const pool = gcp.workloadIdentityPool;
  if (pool.endsWith('.svc.id.goog')) return `serviceAccount:${pool}[${namespace}/${serviceAccount}]`;
  const match =
    /^(?:\/\/iam\.googleapis\.com\/)?(projects\/[0-9]+\/locations\/global\/workloadIdentityPools\/[^/]+)(?:\/providers\/[^/]+)?$/.exec(
      pool,
    );
  if (!match) {
    throw terminal(
      Reason.InvalidAccount,
      `spec.gcp.workloadIdentityPool ${pool} is neither PROJECT.svc.id.goog nor projects/NUMBER/locations/global/workloadIdentityPools/POOL`,
    );
  }
  return `principal://iam.googleapis.com/${match[1]}/subject/system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** Who may act as the service account: members per managed role, sorted. */
export function trustBindings(request: IdentityRequest): Record<(typeof MANAGED_SA_ROLES)[number], string[]> {
  const gcp = gcpAccountOf(request.account);
  const users = new Set<string>();
  const deployers = new Set<string>();
  for (const subject of request.spec.subjects)
    addSubject(subject, gcp, request.owner.namespace, users, deployers);
  return { [WORKLOAD_IDENTITY_USER]: [...users].sort(), [SERVICE_ACCOUNT_USER]: [...deployers].sort() };
}

function addSubject(
  subject: Subject,
  gcp: GcpAccount,
  namespace: string,
  users: Set<string>,
  deployers: Set<string>,
) {
  if (subject.serviceAccount) {
    users.add(workloadMember(gcp, namespace, subject.serviceAccount.name));
    return;
  }
  const platform = subject.serverless?.platform;
  if (platform !== 'GCPCloudRunFunction') {
    throw terminal(
      Reason.InvalidSpec,
      `subject serverless.platform ${platform} cannot run as a Google Cloud service account; use GCPCloudRunFunction`,
    );
  }
  for (const deployer of subject.serverless?.deployers ?? []) {
    if (!/^(user|group|serviceAccount|principal|principalSet):/.test(deployer)) {
      throw terminal(
        Reason.InvalidSpec,
        `deployer ${deployer} must be an IAM member such as user:ana@example.com`,
      );
    }
    deployers.add(deployer);
  }
}

/**
 * Grants through the catalogue (access) or as given (role). Each lands on the project's IAM policy,
 * narrowed to the resource by an IAM condition where the service supports one, or on a service
 * account's own policy. (A temporary grant's `request.time` condition is added by `plannedGrants`.)
 */
export function resolveGcpGrants(grants: Grant[], account: AccountRequest): ResolvedGrant[] {
  const gcp = gcpAccountOf(account);
  return grants.map((grant, index) => {
    const name = `grant ${index} (${grant.resource})`;
    if (grant.actions)
      throw terminal(Reason.InvalidGrant, `${name}: Google Cloud grants use access or role, not actions`);
    const malformed = fullResourceNameProblem(grant.resource);
    if (malformed) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: the resource is not a well-formed full resource name: ${malformed} ` +
          '(e.g. //storage.googleapis.com/projects/_/buckets/NAME)',
      );
    }
    const match = lookup(grant.resource);
    if (!match) throw terminal(Reason.InvalidGrant, `${name}: ${noCatalogueEntry(grant.resource)}`);
    const values = { ...match.values, projectId: gcp.projectId, projectNumber: gcp.projectNumber };
    if (match.entry.unsupported)
      throw terminal(Reason.UnsupportedResource, `${name}: ${fillTemplate(match.entry.unsupported, values)}`);
    const project = match.values.project;
    if (project !== undefined && project !== gcp.projectId && project !== gcp.projectNumber) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: the resource is in project ${project}, but this CloudAccount manages ${gcp.projectId}`,
      );
    }
    const role = grant.role ?? match.entry.access[grant.access ?? 'read'][0];
    if (!role || !/^(roles|projects\/[^/]+\/roles|organizations\/[0-9]+\/roles)\/[\w.]+$/.test(role)) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: ${role} is not an IAM role (roles/NAME or a custom role's full name)`,
      );
    }
    const target =
      match.entry.placement === 'serviceAccount'
        ? serviceAccountResource(match.values.email ?? '')
        : `projects/${gcp.projectId}`;
    const condition = match.entry.condition ? fillTemplate(match.entry.condition, values) : undefined;
    if (condition && BASIC_ROLES.has(role)) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: ${role} is a basic role and cannot carry an IAM condition; use a predefined role`,
      );
    }
    return {
      resource: grant.resource,
      access: grant.access,
      permissions: [role],
      permissionKind: 'role',
      scopes: [target],
      ...(condition ? { condition } : {}),
    };
  });
}

/** Why a well-formed name has no catalogue entry: its service has none, or the name does not fit. */
function noCatalogueEntry(resource: string): string {
  const service = serviceOf(resource);
  const entries = (gcpCatalogue as Catalogue).entries.filter((e) =>
    e.match.startsWith(`^//${service.replace(/\./g, '\\.')}/`),
  );
  if (entries.length === 0) {
    return (
      `not a resource Keyless can grant on (a project, Cloud Storage bucket, Secret Manager secret, ` +
      'BigQuery dataset or service account, as a full resource name such as //storage.googleapis.com/projects/_/buckets/NAME)'
    );
  }
  return (
    `a ${service} name, but none Keyless can grant on: it fits none of ${entries.map((e) => e.description).join('; ')}; ` +
    'check the collection names and the id'
  );
}

/** One role binding Keyless wants its member in: the policy it lives in, the role, the condition. */
export interface MemberGrant {
  target: string;
  role: string;
  condition: string | undefined;
}

export function memberGrantOf(grant: ResolvedGrant): MemberGrant {
  return { target: grant.scopes[0] ?? '', role: grant.permissions[0] ?? '', condition: grant.condition };
}

export function memberGrantKey(grant: MemberGrant): string {
  return `${grant.target}|${grant.role}|${grant.condition ?? ''}`;
}

/** How status records one applied grant, and how it is read back to remove grants dropped from spec. */
export function summaryOf(grant: MemberGrant): string {
  return `${grant.role} on ${grant.target}${grant.condition ? ` if ${grant.condition}` : ''}`;
}

export function memberGrantFromSummary(summary: string): MemberGrant | undefined {
  const match = /^(\S+) on (\S+)(?: if (.+))?$/.exec(summary);
  if (!match) return undefined;
  return { role: match[1] ?? '', target: match[2] ?? '', condition: match[3] };
}

/** Google Cloud enforces a temporary grant's end too: `request.time < timestamp(...)`. */
export function expiryCondition(expiresAt: Date): string {
  return `request.time < timestamp("${expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}")`;
}

/**
 * The binding's member grants now (with its expiry), and those it applied before and no longer
 * wants, unless one of the identity's other bindings still needs them.
 */
export function plannedGrants(request: GrantRequest): { wanted: MemberGrant[]; stale: MemberGrant[] } {
  const wanted = uniqueGrants(
    request.grants.map((grant, index) => {
      const base = memberGrantOf(grant);
      if (!request.expiresAt) return base;
      if (BASIC_ROLES.has(base.role)) {
        throw terminal(
          Reason.InvalidGrant,
          `grant ${index} (${grant.resource}): ${base.role} is a basic role and cannot carry the expiry condition; use a predefined role`,
        );
      }
      const expiry = expiryCondition(request.expiresAt);
      return { ...base, condition: base.condition ? `${base.condition} && ${expiry}` : expiry };
    }),
  );
  const keep = new Set([...wanted, ...request.otherGrants.map(memberGrantOf)].map(memberGrantKey));
  const stale = uniqueGrants(
    request.previous
      .flatMap((p) => memberGrantFromSummary(p.summary) ?? [])
      .filter((g) => !keep.has(memberGrantKey(g))),
  );
  return { wanted, stale };
}

function uniqueGrants(grants: MemberGrant[]): MemberGrant[] {
  return [...new Map(grants.map((g) => [memberGrantKey(g), g])).values()];
}

/** A condition's title names the grant so people reading the policy know where it came from. */
export function conditionTitle(grant: MemberGrant): string {
  return `keyless ${grant.role.split('/').pop()}`.slice(0, 100);
}

/**
 * IAM v2 deny permissions are written SERVICE.googleapis.com/RESOURCE.VERB; guardrails use the v1
 * form SERVICE.RESOURCE.VERB. Both are accepted.
 */
export function denyPermission(permission: string): string {
  if (permission.includes('/')) return permission;
  const [service, ...rest] = permission.split('.');
  return `${service}.googleapis.com/${rest.join('.')}`;
}

/** Everything about the service account that Google Cloud would refuse, checked before any call. */
export function validateServiceAccountIdentity(request: IdentityRequest): void {
  displayName(request);
  trustBindings(request);
}
