import type { Role } from '@aws-sdk/client-iam';
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
import { diffFields, diffTags } from '../shared/drift.js';
import { describeOwner, ownerFromTags, sameOwner } from '../shared/ownership.js';
import type { SecretReader } from '../shared/secrets.js';
import { oidcProviderArn } from './arn.js';
import { AwsClient } from './client.js';
import { credentialsFor } from './credentials.js';
import { EksClient } from './eks-client.js';
import { isDeleteConflict } from './errors.js';
import { LAMBDA_FUNCTIONS, lambdaFunctionsOf } from './lambda-functions.js';
import {
  awsAccountOf,
  checkInlinePolicySize,
  type DesiredRole,
  desiredRole,
  inlinePolicy,
  inlinePolicyName,
  partition,
  resolveAwsGrants,
  STS_AUDIENCE,
  validateAwsIdentity,
} from './mapping.js';
import { type AssociationsObserved, PodIdentityAssociations } from './pod-identity-associations.js';
import { parsePolicyDocument, policyDrift, policySize } from './policy-document.js';
import { AwsUsage } from './usage.js';

/** Client-side defaults, below the cloud's documented quotas; a CloudAccount's spec.rateLimits overrides them. */
export const DEFAULT_RATES = { read: { qps: 20, burst: 40 }, write: { qps: 10, burst: 20 } };

export interface AwsProviderOptions {
  secrets: SecretReader;
  /** How long one IAM or STS call may take. */
  callTimeoutMs?: number;
  /** Told of every answer from this account's cloud that refused a call for its rate. */
  onThrottled?: (operation: string) => void;
}

/** The AWS provider for one CloudAccount: IAM roles, inline policies, the cluster's OIDC provider. */
export function createAwsProvider(account: AccountRequest, options: AwsProviderOptions): CloudProvider {
  const aws = awsAccountOf(account);
  const shared = {
    endpoint: account.spec.endpoint,
    credentials: credentialsFor(account, options.secrets),
    limiter: accountLimiter(DEFAULT_RATES, account.spec.rateLimits, options.onThrottled),
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
  };
  const client = new AwsClient({ region: aws.region, ...shared });
  const eks = new EksClient(shared);
  return {
    name: 'aws',
    accounts: new AwsAccounts(client),
    identities: new AwsRoles(client, new PodIdentityAssociations(eks)),
    grants: new AwsInlinePolicies(client),
    usage: new AwsUsage(client),
  };
}

class AwsAccounts implements AccountClient {
  constructor(private readonly client: AwsClient) {}

  /** The credentials work, in the right account, and the cluster's OIDC provider is there (or made). */
  async check(ctx: Context, account: AccountRequest, _context: AccountContext) {
    const aws = awsAccountOf(account);
    const caller = await this.client.getCallerIdentity(ctx);
    if (caller.Account !== aws.accountId) {
      throw terminal(
        Reason.AccountMismatch,
        `the operator's credentials are for account ${caller.Account}, not spec.aws.accountId ${aws.accountId}`,
      );
    }
    const arn = oidcProviderArn(partition(aws), aws.accountId, aws.oidcProvider.issuerUrl);
    const existing = await this.client.getOidcProvider(ctx, arn);
    if (!existing && !aws.oidcProvider.manage) {
      throw terminal(
        Reason.OIDCProviderNotFound,
        `IAM OIDC provider ${arn} does not exist: create it for ${aws.oidcProvider.issuerUrl}, or set spec.aws.oidcProvider.manage: true`,
      );
    }
    if (!existing) {
      await this.client.createOidcProvider(ctx, aws.oidcProvider.issuerUrl, [STS_AUDIENCE], {
        'keyless.dev/cloudaccount': account.name,
      });
    } else if (aws.oidcProvider.manage && !existing.ClientIDList?.includes(STS_AUDIENCE)) {
      await this.client.addOidcClientId(ctx, arn, STS_AUDIENCE);
    }
    return { callerIdentity: caller.Arn ?? `account ${caller.Account}` };
  }
}

class AwsRoles implements ExternalClient<IdentityRequest, IdentityObservation>, IdentityValidator {
  constructor(
    private readonly client: AwsClient,
    private readonly associations: PodIdentityAssociations,
  ) {}

  validate = validateAwsIdentity;

  /**
   * The role, then (once it exists) each Lambda function's execution role (1 + N reads) and the
   * EKS Pod Identity associations (one list and one read per association of its ServiceAccounts).
   */
  async observe(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    const role = observationOf(desired, await this.client.getRole(ctx, desired.name));
    if (!role.exists) return role;
    const roleArn = role.principal?.roleArn ?? desired.arn;
    const associations = await this.associations.observe(ctx, request, roleArn);
    const observed = associations ? withAssociations(role, associations) : role;
    const arns = lambdaFunctionsOf(request);
    if (arns.length === 0) return observed;
    const readings = await settleAll(
      arns.map((arn) =>
        readFunction(
          LAMBDA_FUNCTIONS,
          arn,
          roleArn,
          async () => (await this.client.getFunctionRole(ctx, arn))?.role,
        ),
      ),
    );
    return withFunctionReadings(
      observed,
      LAMBDA_FUNCTIONS,
      roleArn,
      readings,
      new Set(request.attachedFunctions ?? []),
    );
  }

  /** The role, then one UpdateFunctionConfiguration per Lambda function (none is read first). */
  async create(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    try {
      const role = observationOf(desired, await this.client.createRole(ctx, desired));
      const roleArn = role.principal?.roleArn ?? desired.arn;
      const associations = await this.associations.create(ctx, request, roleArn);
      const created = associations ? withAssociations(role, associations) : role;
      const arns = lambdaFunctionsOf(request);
      if (arns.length === 0) return created;
      const functions = await this.attachFunctions(ctx, arns, roleArn);
      return { ...created, functions };
    } catch (err) {
      if (!(err instanceof ClassifiedError) || err.reason !== Reason.AlreadyExists) throw err;
      // Created by an earlier attempt whose answer was lost, or by someone else.
      const observed = await this.observe(ctx, request);
      if (!sameOwner(observed.owner, request.owner) && !request.adopt) {
        throw terminal(
          Reason.NotOwned,
          `role ${desired.name} already exists and belongs to ${describeOwner(observed.owner)}`,
          err,
        );
      }
      return observed.upToDate ? observed : this.update(ctx, request, observed);
    }
  }

  /** Only the parts that differ: one call each for trust, tags, boundary, session and description. */
  async update(
    ctx: Context,
    request: IdentityRequest,
    observed: IdentityObservation,
  ): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    const differs = (prefix: string) => observed.drift.some((d) => d.field.startsWith(prefix));
    if (differs('trustPolicy')) await this.client.updateTrustPolicy(ctx, desired.name, desired.trustPolicy);
    if (differs('tags')) await this.client.tagRole(ctx, desired.name, desired.tags);
    if (differs('permissionsBoundary')) {
      if (desired.permissionsBoundary)
        await this.client.putPermissionsBoundary(ctx, desired.name, desired.permissionsBoundary);
      else await this.client.deletePermissionsBoundary(ctx, desired.name);
    }
    if (differs('maxSessionDuration') || differs('description')) {
      await this.client.updateRole(ctx, desired.name, desired.maxSessionSeconds, desired.description);
    }
    const roleArn = observed.principal?.roleArn ?? desired.arn;
    const associationFields = new Set(
      observed.drift.map((d) => d.field).filter((f) => f.startsWith(ASSOCIATIONS_FIELD)),
    );
    const associations =
      associationFields.size > 0
        ? await this.associations.update(ctx, request, roleArn, associationFields)
        : undefined;
    // Only what this update was asked to change and could not is left as drift.
    const associationsLeft = (associations?.drift ?? []).filter((d) => associationFields.has(d.field));
    const updated: IdentityObservation = {
      ...observed,
      upToDate: associationsLeft.length === 0,
      drift: associationsLeft,
      owner: request.owner,
      ...(associations ? { podIdentityAssociations: associations.states } : {}),
    };
    const arns = lambdaFunctionsOf(request);
    if (arns.length === 0) return updated;
    const fixing = functionsToUpdate(LAMBDA_FUNCTIONS, arns, observed.drift);
    const attached = await this.attachFunctions(ctx, fixing, roleArn);
    return afterAttaching(updated, LAMBDA_FUNCTIONS, observed, fixing, attached);
  }

  /** One UpdateFunctionConfiguration per function. */
  private attachFunctions(ctx: Context, arns: readonly string[], roleArn: string): Promise<FunctionStatus[]> {
    return attachFunctions(LAMBDA_FUNCTIONS, arns, roleArn, (arn) =>
      this.client.setFunctionRole(ctx, arn, roleArn),
    );
  }

  /**
   * The role, at once: its bindings took their inline policies with them, so it usually goes in one
   * call. IAM refuses (DeleteConflict) a role that still has policies (another tool's, or a
   * binding's left behind): then its inline policies, its attached policies, and the role again.
   * The caller has just observed the role, so it is not read again; one already gone counts as deleted.
   */
  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    const name = desiredRole(request).name;
    await this.associations.delete(ctx, request);
    try {
      await this.client.deleteRole(ctx, name);
      return;
    } catch (err) {
      if (!isDeleteConflict(err)) throw err;
    }
    const policies = await this.client.listRolePolicyNames(ctx, name);
    if (!policies) return;
    for (const policy of policies) await this.client.deleteRolePolicy(ctx, name, policy);
    for (const arn of (await this.client.listAttachedPolicyArns(ctx, name)) ?? [])
      await this.client.detachRolePolicy(ctx, name, arn);
    await this.client.deleteRole(ctx, name);
  }
}

const ASSOCIATIONS_FIELD = 'podIdentityAssociations[';

/** The role's observation with its Pod Identity associations' states, drift and pending fields. */
function withAssociations(
  observed: IdentityObservation,
  associations: AssociationsObserved,
): IdentityObservation {
  const drift = [...observed.drift, ...associations.drift];
  const pending = [...(observed.pending ?? []), ...associations.pending];
  return {
    ...observed,
    drift,
    upToDate: drift.length === 0,
    podIdentityAssociations: associations.states,
    ...(pending.length > 0 ? { pending } : {}),
  };
}

function observationOf(desired: DesiredRole, role: Role | undefined): IdentityObservation {
  if (!role) {
    return {
      exists: false,
      upToDate: false,
      drift: [],
      externalName: desired.name,
      owner: undefined,
      principal: undefined,
    };
  }
  const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const drift = [
    ...policyDrift(
      'trustPolicy',
      desired.trustPolicy,
      role.AssumeRolePolicyDocument ? parsePolicyDocument(role.AssumeRolePolicyDocument) : undefined,
    ),
    ...diffTags('tags', desired.tags, tags),
    ...diffFields(
      {
        permissionsBoundary: desired.permissionsBoundary ?? null,
        maxSessionDuration: desired.maxSessionSeconds,
        description: desired.description,
      },
      {
        permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
        maxSessionDuration: role.MaxSessionDuration ?? 3600,
        description: role.Description ?? '',
      },
    ),
  ];
  const arn = role.Arn ?? desired.arn;
  return {
    exists: true,
    upToDate: drift.length === 0,
    drift,
    externalName: desired.name,
    owner: ownerFromTags(tags),
    principal: { id: arn, roleArn: arn },
  };
}

class AwsInlinePolicies implements ExternalClient<GrantRequest, GrantObservation>, GrantResolver {
  constructor(private readonly client: AwsClient) {}

  resolve = resolveAwsGrants;

  async observe(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const wanted = inlinePolicy(request.grants, request.expiresAt);
    const text = await this.client.getRolePolicy(
      ctx,
      request.identity.externalName,
      inlinePolicyName(request.owner),
    );
    if (text === undefined) return { exists: false, upToDate: false, drift: [], applied: [] };
    const found = parsePolicyDocument(text);
    const drift = policyDrift('policy', wanted, found);
    return {
      exists: true,
      upToDate: drift.length === 0,
      drift,
      applied: found.Statement.map((s) => ({
        resource: [s.Resource ?? []].flat()[0] ?? '*',
        summary: [s.Action ?? []].flat().join(','),
      })),
    };
  }

  async create(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.put(ctx, request);
  }

  async update(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.put(ctx, request);
  }

  async delete(ctx: Context, request: GrantRequest): Promise<void> {
    await this.client.deleteRolePolicy(ctx, request.identity.externalName, inlinePolicyName(request.owner));
  }

  private async put(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const role = request.identity.externalName;
    const name = inlinePolicyName(request.owner);
    let othersSize = 0;
    for (const other of (await this.client.listRolePolicyNames(ctx, role)) ?? []) {
      if (other === name) continue;
      const text = await this.client.getRolePolicy(ctx, role, other);
      if (text !== undefined) othersSize += policySize(parsePolicyDocument(text));
    }
    checkInlinePolicySize(request, othersSize);
    const document = inlinePolicy(request.grants, request.expiresAt);
    await this.client.putRolePolicy(ctx, role, name, document);
    return {
      exists: true,
      upToDate: true,
      drift: [],
      applied: request.grants.map((g) => ({ resource: g.resource, summary: g.permissions.join(',') })),
    };
  }
}
