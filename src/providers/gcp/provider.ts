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
import { accountLimiter, DEFAULT_CALL_TIMEOUT_MS } from '../shared/cloud-calls.js';
import { diffFields } from '../shared/drift.js';
import { describeOwner, sameOwner } from '../shared/ownership.js';
import type { SecretReader } from '../shared/secrets.js';
import { type DenyPolicy, GcpClient, type ServiceAccount } from './client.js';
import { addMember, hasMember, membersOf, removeMember, setMembers } from './iam-policy.js';
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
  validateGcpIdentity,
} from './mapping.js';
import { type PolicyMutation, PolicyWriter, type PolicyWriterOptions } from './policy-writer.js';

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
    identities: new GcpServiceAccounts(client, writer),
    grants: new GcpMembers(client, writer),
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
        context.principals.flatMap((p) =>
          p.email ? [`principal://iam.googleapis.com/projects/-/serviceAccounts/${p.email}`] : [],
        ),
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

class GcpServiceAccounts implements ExternalClient<IdentityRequest, IdentityObservation>, IdentityValidator {
  constructor(
    private readonly client: GcpClient,
    private readonly writer: PolicyWriter,
  ) {}

  validate = validateGcpIdentity;

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
    return observation(email, found, drift);
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
        throw new ClassifiedError(`service account ${email} exists but is not visible yet`, {
          kind: 'retryable',
          reason: Reason.NotFound,
          cause: err,
        });
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
    await this.writeTrust(ctx, request, email);
    return {
      exists: true,
      upToDate: true,
      drift: [],
      externalName: email,
      owner: request.owner,
      principal: { id: email, email },
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
    return { ...observed, upToDate: true, drift: [], owner: request.owner };
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
    const member = memberOf(request);
    const policies = new Map<string, Awaited<ReturnType<GcpClient['getPolicy']>>>();
    for (const target of new Set([...wanted, ...stale].map((g) => g.target))) {
      policies.set(target, await this.client.getPolicy(ctx, target));
    }
    const present = (g: MemberGrant) => hasMember(policies.get(g.target) ?? {}, g, member);
    const drift = [
      ...wanted
        .filter((g) => !present(g))
        .map((g) => ({ field: `grants[${summaryOf(g)}]`, wanted: member, found: 'absent' })),
      ...stale
        .filter(present)
        .map((g) => ({ field: `grants[${summaryOf(g)}]`, wanted: 'absent', found: member })),
    ];
    const applied = wanted.filter(present);
    return {
      exists: applied.length > 0 || wanted.length === 0,
      upToDate: drift.length === 0,
      drift,
      applied: appliedOf(request, applied),
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
    const member = memberOf(request);
    const removals = [...wanted, ...stale].filter((g) => !keep.has(memberGrantKey(g)));
    await this.forEachTarget(
      ctx,
      removals,
      (grants) => (policy) => grants.map((g) => removeMember(policy, g, member)).some(Boolean),
    );
  }

  /** Adds the wanted members and takes away the stale ones, one read-modify-write per policy. */
  private async apply(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const { wanted, stale } = plannedGrants(request);
    const member = memberOf(request);
    const owner = `${request.owner.namespace}/${request.owner.name}`;
    await this.forEachTarget(ctx, [...wanted, ...stale], (grants) => (policy) => {
      let changed = false;
      for (const g of grants) {
        const isWanted = wanted.some((w) => memberGrantKey(w) === memberGrantKey(g));
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
      return changed;
    });
    return { exists: true, upToDate: true, drift: [], applied: appliedOf(request, wanted) };
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

function memberOf(request: GrantRequest): string {
  const email = request.identity.principal.email ?? request.identity.externalName;
  return `serviceAccount:${email}`;
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
