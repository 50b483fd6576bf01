import type { FunctionStatus } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, terminal } from '../../runtime/errors.js';
import { settleAll } from '../../runtime/settle.js';
import type {
  AccountClient,
  AccountContext,
  AccountRequest,
  CloudProvider,
  ExternalClient,
  GrantObservation,
  GrantRequest,
  GrantResolver,
  IdentityObservation,
  IdentityRequest,
  IdentityValidator,
} from '../provider.js';
import {
  afterAttaching,
  attachFunctions,
  functionsToUpdate,
  readFunction,
  withFunctionReadings,
} from '../shared/attached-functions.js';
import { accountLimiter, DEFAULT_CALL_TIMEOUT_MS } from '../shared/cloud-calls.js';
import { diffFields } from '../shared/drift.js';
import { describeOwner, sameOwner } from '../shared/ownership.js';
import type { SecretReader } from '../shared/secrets.js';
import { type DenyPolicy, GcpClient, type ServiceAccount } from './client.js';
import { CLOUD_RUN_SERVICES, cloudRunServicesOf } from './cloud-run-services.js';
import {
  checkDirectGrants,
  directMembers,
  gcpModeOf,
  gkePoolProject,
  isDirectPrincipal,
  knownPoolProjectNumber,
  validateGcpIdentity,
} from './direct.js';
import {
  addMember,
  hasMember,
  hasMemberOrDeleted,
  isMemberOrDeleted,
  membersOf,
  removeMember,
  setMembers,
} from './iam-policy.js';
import {
  accountId,
  conditionTitle,
  denyPermission,
  displayName,
  gcpAccountOf,
  MANAGED_SA_ROLES,
  type MemberGrant,
  memberGrantKey,
  memberGrantOf,
  ownerDescription,
  ownerFromDescription,
  plannedGrants,
  resolveGcpGrants,
  serviceAccountEmail,
  serviceAccountResource,
  summaryOf,
  trustBindings,
  validateServiceAccountIdentity,
} from './mapping.js';
import { type PolicyMutation, PolicyWriter, type PolicyWriterOptions } from './policy-writer.js';
import { GcpUsage } from './usage.js';

/** Client-side defaults, below the cloud's documented quotas; a CloudAccount's spec.rateLimits overrides them. */
export const DEFAULT_RATES = { read: { qps: 20, burst: 40 }, write: { qps: 10, burst: 20 } };

export interface GcpProviderOptions {
  secrets: SecretReader;
  policyWriter?: PolicyWriterOptions;
  /** How long one Google Cloud call may take. */
  callTimeoutMs?: number;
  /** Told of every answer from this account's cloud that refused a call for its rate. */
  onThrottled?: (operation: string) => void;
}

export const DENY_POLICY_ID = 'keyless-guardrails';

/** The Google Cloud provider for one CloudAccount: service accounts, IAM members, a deny policy. */
export function createGcpProvider(
  account: AccountRequest,
  options: GcpProviderOptions,
): CloudProvider & { writer: PolicyWriter } {
  gcpAccountOf(account);
  const client = new GcpClient(
    account,
    options.secrets,
    accountLimiter(DEFAULT_RATES, account.spec.rateLimits, options.onThrottled),
    options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  );
  const writer = new PolicyWriter(client, options.policyWriter);
  return {
    name: 'gcp',
    accounts: new GcpAccounts(client),
    identities: new GcpIdentities(new GcpServiceAccounts(client, writer), new GcpDirectPrincipals(client)),
    grants: new GcpMembers(client, writer),
    usage: new GcpUsage(client),
    writer,
  };
}

class GcpAccounts implements AccountClient {
  constructor(private readonly client: GcpClient) {}

  /** Reading the project's policy proves the credentials; then the guardrail deny policy is kept. */
  async check(ctx: Context, account: AccountRequest, context: AccountContext) {
    const gcp = gcpAccountOf(account);
    await this.client.getPolicy(ctx, `projects/${gcp.projectId}`);
    await this.keepDenyPolicy(ctx, account, context);
    return { callerIdentity: `a principal with access to project ${gcp.projectId}` };
  }

  /**
   * One IAM v2 deny policy on the project denies the account's deniedActions to every service
   * account Keyless manages there; it goes when there is nothing to deny.
   */
  private async keepDenyPolicy(
    ctx: Context,
    account: AccountRequest,
    context: AccountContext,
  ): Promise<void> {
    const gcp = gcpAccountOf(account);
    const parent = `policies/${encodeURIComponent(`cloudresourcemanager.googleapis.com/projects/${gcp.projectId}`)}/denypolicies`;
    const name = `${parent}/${DENY_POLICY_ID}`;
    const permissions = [
      ...new Set((account.spec.guardrails?.deniedActions ?? []).map(denyPermission)),
    ].sort();
    const principals = [
      ...new Set(
        context.principals.flatMap((p) => [
          ...(p.email ? [`principal://iam.googleapis.com/projects/-/serviceAccounts/${p.email}`] : []),
          ...(p.members ?? []),
        ]),
      ),
    ].sort();
    const existing = await this.client.getDenyPolicy(ctx, name);
    if (permissions.length === 0 || principals.length === 0) {
      if (existing) await this.client.deleteDenyPolicy(ctx, name);
      return;
    }
    const wanted: DenyPolicy = {
      displayName: 'Keyless guardrails',
      rules: [{ denyRule: { deniedPrincipals: principals, deniedPermissions: permissions } }],
    };
    if (!existing) {
      await this.client.createDenyPolicy(ctx, parent, DENY_POLICY_ID, wanted);
      return;
    }
    const rule = existing.rules?.[0]?.denyRule;
    const same =
      existing.rules?.length === 1 &&
      JSON.stringify([...(rule?.deniedPrincipals ?? [])].sort()) === JSON.stringify(principals) &&
      JSON.stringify([...(rule?.deniedPermissions ?? [])].sort()) === JSON.stringify(permissions);
    if (!same) await this.client.updateDenyPolicy(ctx, { ...wanted, name, etag: existing.etag ?? null });
  }
}

type IdentityClient = ExternalClient<IdentityRequest, IdentityObservation>;

/** spec.gcp.mode picks the identity: a service account, or the ServiceAccounts' own principals. */
class GcpIdentities implements IdentityClient, IdentityValidator {
  constructor(
    private readonly serviceAccounts: IdentityClient,
    private readonly direct: IdentityClient,
  ) {}

  validate = validateGcpIdentity;

  private of(request: IdentityRequest): IdentityClient {
    return gcpModeOf(request) === 'Direct' ? this.direct : this.serviceAccounts;
  }

  observe(ctx: Context, request: IdentityRequest) {
    return this.of(request).observe(ctx, request);
  }

  create(ctx: Context, request: IdentityRequest) {
    return this.of(request).create(ctx, request);
  }

  update(ctx: Context, request: IdentityRequest, observed: IdentityObservation) {
    return this.of(request).update(ctx, request, observed);
  }

  delete(ctx: Context, request: IdentityRequest) {
    return this.of(request).delete(ctx, request);
  }
}

/**
 * Mode Direct: nothing is created; grants name each ServiceAccount's own principal. What it
 * observes is whether a service account Keyless made for this identity before (in mode
 * ServiceAccount) is still there: that is drift, and it is deleted.
 */
class GcpDirectPrincipals implements IdentityClient {
  /** The GKE pool project's number per project id, looked up once (Resource Manager projects.get). */
  private readonly projectNumbers = new Map<string, Promise<string>>();

  constructor(private readonly client: GcpClient) {}

  async observe(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const gcp = gcpAccountOf(request.account);
    const members = directMembers(request, await this.poolProjectNumber(ctx, request));
    const email = serviceAccountEmail(request.owner, gcp);
    const leftover = await this.ownedServiceAccount(ctx, request);
    const drift = leftover ? [{ field: 'serviceAccount', wanted: 'absent', found: email }] : [];
    return {
      exists: true,
      upToDate: drift.length === 0,
      drift,
      externalName: members.join(', '),
      owner: request.owner,
      principal: { ...(members[0] ? { id: members[0] } : {}), members },
    };
  }

  async create(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    return this.update(ctx, request, await this.observe(ctx, request));
  }

  async update(
    ctx: Context,
    request: IdentityRequest,
    observed: IdentityObservation,
  ): Promise<IdentityObservation> {
    if (observed.drift.some((d) => d.field === 'serviceAccount')) await this.delete(ctx, request);
    return { ...observed, upToDate: true, drift: [] };
  }

  /** Takes away only a service account that Keyless's description says is this identity's. */
  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    if (await this.ownedServiceAccount(ctx, request)) {
      await this.client.deleteServiceAccount(
        ctx,
        serviceAccountEmail(request.owner, gcpAccountOf(request.account)),
      );
    }
  }

  private async ownedServiceAccount(ctx: Context, request: IdentityRequest): Promise<boolean> {
    const found = await this.client.getServiceAccount(
      ctx,
      serviceAccountEmail(request.owner, gcpAccountOf(request.account)),
    );
    return found !== undefined && sameOwner(ownerFromDescription(found.description), request.owner);
  }

  private async poolProjectNumber(ctx: Context, request: IdentityRequest): Promise<string> {
    const gcp = gcpAccountOf(request.account);
    const known = knownPoolProjectNumber(gcp);
    if (known) return known;
    const project = gkePoolProject(gcp) ?? '';
    let number = this.projectNumbers.get(project);
    if (!number) {
      // Shared by concurrent reconciles (an abort of the first fails them all, and they retry); a
      // failed lookup is forgotten, so the next one asks again.
      number = this.client.getProjectNumber(ctx, project);
      this.projectNumbers.set(project, number);
      number.catch(() => {
        if (this.projectNumbers.get(project) === number) this.projectNumbers.delete(project);
      });
    }
    return number;
  }
}

class GcpServiceAccounts implements ExternalClient<IdentityRequest, IdentityObservation>, IdentityValidator {
  constructor(
    private readonly client: GcpClient,
    private readonly writer: PolicyWriter,
  ) {}

  validate = validateServiceAccountIdentity;

  async observe(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const email = serviceAccountEmail(request.owner, gcpAccountOf(request.account));
    const found = await this.client.getServiceAccount(ctx, email);
    if (!found)
      return {
        exists: false,
        upToDate: false,
        drift: [],
        externalName: email,
        owner: undefined,
        principal: undefined,
      };
    const policy = await this.client.getPolicy(ctx, serviceAccountResource(email));
    const trust = trustBindings(request);
    const drift = [
      ...diffFields(
        { displayName: displayName(request), description: ownerDescription(request.owner) },
        { displayName: found.displayName ?? '', description: found.description ?? '' },
      ),
      ...MANAGED_SA_ROLES.flatMap((role) =>
        diffFields(
          { [`iamPolicy[${role}]`]: trust[role] },
          { [`iamPolicy[${role}]`]: [...new Set(membersOf(policy, { role, condition: undefined }))].sort() },
        ),
      ),
    ];
    return this.withServices(ctx, request, observation(email, found, drift));
  }

  /** Each Cloud Run service's revision template service account: one services.get each. */
  private async withServices(
    ctx: Context,
    request: IdentityRequest,
    observed: IdentityObservation,
  ): Promise<IdentityObservation> {
    const names = cloudRunServicesOf(request);
    if (names.length === 0) return observed;
    const email = observed.externalName;
    const readings = await settleAll(
      names.map((name) =>
        readFunction(CLOUD_RUN_SERVICES, name, email, () =>
          this.client.getServiceAccountOfService(ctx, name),
        ),
      ),
    );
    return withFunctionReadings(
      observed,
      CLOUD_RUN_SERVICES,
      email,
      readings,
      new Set(request.attachedFunctions ?? []),
    );
  }

  /** One services.patch per service, then polling its operation. */
  private attachServices(ctx: Context, names: readonly string[], email: string): Promise<FunctionStatus[]> {
    return attachFunctions(CLOUD_RUN_SERVICES, names, email, (name) =>
      this.client.setServiceAccountOfService(ctx, name, email),
    );
  }

  async create(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const gcp = gcpAccountOf(request.account);
    const email = serviceAccountEmail(request.owner, gcp);
    try {
      await this.client.createServiceAccount(ctx, gcp.projectId, accountId(request.owner), {
        displayName: displayName(request),
        description: ownerDescription(request.owner),
      });
    } catch (err) {
      if (!(err instanceof ClassifiedError && err.reason === Reason.AlreadyExists)) throw err;
      const observed = await this.observe(ctx, request);
      if (!observed.exists) {
        // Created moments ago (by an earlier attempt whose answer was lost), not yet visible: IAM is eventually consistent.
        throw notVisibleYet(email, err);
      }
      if (!sameOwner(observed.owner, request.owner) && !request.adopt) {
        throw terminal(
          Reason.NotOwned,
          `service account ${email} already exists and belongs to ${describeOwner(observed.owner)}`,
          err,
        );
      }
    }
    // Right after a create the account may not be visible yet (404): the retry comes back here.
    try {
      await this.writeTrust(ctx, request, email);
    } catch (err) {
      if (err instanceof ClassifiedError && err.reason === Reason.NotFound) throw notVisibleYet(email, err);
      throw err;
    }
    const names = cloudRunServicesOf(request);
    return {
      exists: true,
      upToDate: true,
      drift: [],
      externalName: email,
      owner: request.owner,
      principal: { id: email, email },
      ...(names.length > 0 ? { functions: await this.attachServices(ctx, names, email) } : {}),
    };
  }

  async update(
    ctx: Context,
    request: IdentityRequest,
    observed: IdentityObservation,
  ): Promise<IdentityObservation> {
    const gcp = gcpAccountOf(request.account);
    const email = serviceAccountEmail(request.owner, gcp);
    const differs = (prefix: string) => observed.drift.some((d) => d.field.startsWith(prefix));
    if (differs('displayName') || differs('description') || !sameOwner(observed.owner, request.owner)) {
      await this.client.patchServiceAccount(ctx, gcp.projectId, email, {
        displayName: displayName(request),
        description: ownerDescription(request.owner),
      });
    }
    if (differs('iamPolicy')) await this.writeTrust(ctx, request, email);
    const updated = { ...observed, upToDate: true, drift: [], owner: request.owner };
    const names = cloudRunServicesOf(request);
    if (names.length === 0) return updated;
    const fixing = functionsToUpdate(CLOUD_RUN_SERVICES, names, observed.drift);
    const attached = await this.attachServices(ctx, fixing, email);
    // What this update was asked to change and could not (a missing or forbidden service) stays drift.
    return afterAttaching(updated, CLOUD_RUN_SERVICES, observed, fixing, attached);
  }

  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    await this.client.deleteServiceAccount(
      ctx,
      serviceAccountEmail(request.owner, gcpAccountOf(request.account)),
    );
  }

  /** On the account Keyless owns, who may act as it is kept exactly as declared: an extra member could impersonate it. */
  private async writeTrust(ctx: Context, request: IdentityRequest, email: string): Promise<void> {
    const trust = trustBindings(request);
    await this.writer.update(ctx, serviceAccountResource(email), (policy) =>
      MANAGED_SA_ROLES.map((role) => setMembers(policy, role, trust[role])).some(Boolean),
    );
  }
}

function observation(
  email: string,
  found: ServiceAccount,
  drift: IdentityObservation['drift'],
): IdentityObservation {
  return {
    exists: true,
    upToDate: drift.length === 0,
    drift,
    externalName: email,
    owner: ownerFromDescription(found.description),
    principal: { id: email, email },
  };
}

class GcpMembers implements ExternalClient<GrantRequest, GrantObservation>, GrantResolver {
  constructor(
    private readonly client: GcpClient,
    private readonly writer: PolicyWriter,
  ) {}

  resolve = resolveGcpGrants;

  async observe(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const { wanted, stale } = plannedGrants(request);
    const members = membersFor(request);
    const old = oldMembers(request, members);
    if (isDirectPrincipal(request.identity.principal)) checkDirectGrants(request.grants);
    const policies = new Map<string, Awaited<ReturnType<GcpClient['getPolicy']>>>();
    for (const target of new Set([...wanted, ...stale].map((g) => g.target))) {
      policies.set(target, await this.client.getPolicy(ctx, target));
    }
    const has = (g: MemberGrant, member: string) => hasMember(policies.get(g.target) ?? {}, g, member);
    const present = (g: MemberGrant) => members.every((m) => has(g, m));
    const field = (g: MemberGrant) => `grants[${summaryOf(g)}]`;
    const drift = [
      ...wanted.flatMap((g) =>
        members.filter((m) => !has(g, m)).map((m) => ({ field: field(g), wanted: m, found: 'absent' })),
      ),
      ...stale.flatMap((g) =>
        members.filter((m) => has(g, m)).map((m) => ({ field: field(g), wanted: 'absent', found: m })),
      ),
      ...[...wanted, ...stale].flatMap((g) =>
        old
          .filter((m) => hasMemberOrDeleted(policies.get(g.target) ?? {}, g, m))
          .map((m) => ({ field: field(g), wanted: 'absent', found: m })),
      ),
    ];
    const applied = wanted.filter(present);
    return {
      exists: applied.length > 0 || wanted.length === 0,
      upToDate: drift.length === 0,
      drift,
      applied: appliedOf(request, applied),
      members,
    };
  }

  async create(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.apply(ctx, request);
  }

  async update(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.apply(ctx, request);
  }

  async delete(ctx: Context, request: GrantRequest): Promise<void> {
    const { wanted, stale } = plannedGrants(request);
    const keep = new Set(request.otherGrants.map((g) => memberGrantKey(memberGrantOf(g))));
    const members = membersFor(request);
    const old = oldMembers(request, members);
    const removals = [...wanted, ...stale].filter((g) => !keep.has(memberGrantKey(g)));
    await this.forEachTarget(
      ctx,
      removals,
      (grants) => (policy) =>
        grants
          .flatMap((g) => [
            ...members.map((m) => removeMember(policy, g, m)),
            ...old.map((m) => removeMember(policy, g, m, isMemberOrDeleted)),
          ])
          .some(Boolean),
    );
  }

  /**
   * Adds the wanted members and takes away the stale ones, and the members of another mode this
   * binding granted before, one read-modify-write per policy.
   */
  private async apply(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const { wanted, stale } = plannedGrants(request);
    if (isDirectPrincipal(request.identity.principal)) checkDirectGrants(request.grants);
    const members = membersFor(request);
    const old = oldMembers(request, members);
    const owner = `${request.owner.namespace}/${request.owner.name}`;
    await this.forEachTarget(ctx, [...wanted, ...stale], (grants) => (policy) => {
      let changed = false;
      for (const g of grants) {
        const isWanted = wanted.some((w) => memberGrantKey(w) === memberGrantKey(g));
        for (const member of members) {
          changed =
            (isWanted
              ? addMember(
                  policy,
                  g,
                  member,
                  g.condition
                    ? { title: conditionTitle(g), description: `Managed by Keyless for ${owner}` }
                    : undefined,
                )
              : removeMember(policy, g, member)) || changed;
        }
        for (const member of old) changed = removeMember(policy, g, member, isMemberOrDeleted) || changed;
      }
      return changed;
    });
    return { exists: true, upToDate: true, drift: [], applied: appliedOf(request, wanted), members };
  }

  private async forEachTarget(
    ctx: Context,
    grants: MemberGrant[],
    mutation: (grants: MemberGrant[]) => PolicyMutation,
  ) {
    const byTarget = new Map<string, MemberGrant[]>();
    for (const g of grants) byTarget.set(g.target, [...(byTarget.get(g.target) ?? []), g]);
    await settleAll([...byTarget].map(([target, list]) => this.writer.update(ctx, target, mutation(list))));
  }
}

/** Who the grants go to: the service account, or in mode Direct each ServiceAccount's principal. */
function membersFor(request: GrantRequest): string[] {
  const { principal, externalName } = request.identity;
  if (isDirectPrincipal(principal)) return [...(principal.members ?? [])];
  return [`serviceAccount:${principal.email ?? externalName}`];
}

/**
 * Members this binding granted to before and no longer does (a change of mode): those its status
 * recorded, and in mode Direct the service account Keyless made for the identity in mode ServiceAccount.
 */
function oldMembers(request: GrantRequest, members: string[]): string[] {
  const ours = isDirectPrincipal(request.identity.principal)
    ? [`serviceAccount:${serviceAccountEmail(request.identity.owner, gcpAccountOf(request.account))}`]
    : [];
  return [...new Set([...(request.previousMembers ?? []), ...ours])].filter((m) => !members.includes(m));
}

function appliedOf(request: GrantRequest, grants: MemberGrant[]): { resource: string; summary: string }[] {
  const resourceOf = new Map(request.grants.map((g) => [memberGrantKey(memberGrantOf(g)), g.resource]));
  return grants.map((g) => ({
    resource: resourceOf.get(memberGrantKey({ ...g, condition: stripExpiry(g.condition) })) ?? g.target,
    summary: summaryOf(g),
  }));
}

function stripExpiry(condition: string | undefined): string | undefined {
  const stripped = condition?.replace(/( && )?request\.time < timestamp\("[^"]+"\)$/, '');
  return stripped ? stripped : undefined;
}

/**
 * How long a new service account usually takes to be visible to IAM: retrying sooner only sends
 * the create again (IAM then says it exists, yet cannot find it).
 */
const NEW_ACCOUNT_VISIBLE_MS = 1_000;

function notVisibleYet(email: string, cause: unknown): ClassifiedError {
  return new ClassifiedError(`service account ${email} exists but is not visible yet`, {
    kind: 'retryable',
    reason: Reason.NotFound,
    retryAfterMs: NEW_ACCOUNT_VISIBLE_MS,
    cause,
  });
}
