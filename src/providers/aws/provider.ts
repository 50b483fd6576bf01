import type { Role } from '@aws-sdk/client-iam';
import { Reason } from '../../api/reasons.js';
import { CloudError, terminal } from '../cloud-error.js';
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
} from '../provider.js';
import { accountLimiter } from '../shared/cloud-calls.js';
import { diffFields, diffTags } from '../shared/drift.js';
import { describeOwner, ownerFromTags, sameOwner } from '../shared/ownership.js';
import type { SecretReader } from '../shared/secrets.js';
import { oidcProviderArn } from './arn.js';
import { AwsClient } from './client.js';
import { credentialsFor } from './credentials.js';
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
} from './mapping.js';
import { parsePolicyDocument, policyDrift, policySize } from './policy-document.js';

/** Client-side defaults, below the cloud's documented quotas; a CloudAccount's spec.rateLimits overrides them. */
export const DEFAULT_RATES = { read: { qps: 20, burst: 40 }, write: { qps: 10, burst: 20 } };

export interface AwsProviderOptions {
  secrets: SecretReader;
}

/** The AWS provider for one CloudAccount: IAM roles, inline policies, the cluster's OIDC provider. */
export function createAwsProvider(account: AccountRequest, options: AwsProviderOptions): CloudProvider {
  const aws = awsAccountOf(account);
  const client = new AwsClient({
    region: aws.region,
    endpoint: account.spec.endpoint,
    credentials: credentialsFor(account, options.secrets),
    limiter: accountLimiter(DEFAULT_RATES, account.spec.rateLimits),
  });
  return {
    name: 'aws',
    accounts: new AwsAccounts(client),
    identities: new AwsRoles(client),
    grants: new AwsInlinePolicies(client),
  };
}

class AwsAccounts implements AccountClient {
  constructor(private readonly client: AwsClient) {}

  /** The credentials work, in the right account, and the cluster's OIDC provider is there (or made). */
  async check(account: AccountRequest, _context: AccountContext) {
    const aws = awsAccountOf(account);
    const caller = await this.client.getCallerIdentity();
    if (caller.Account !== aws.accountId) {
      throw terminal(
        Reason.AccountMismatch,
        `the operator's credentials are for account ${caller.Account}, not spec.aws.accountId ${aws.accountId}`,
      );
    }
    const arn = oidcProviderArn(partition(aws), aws.accountId, aws.oidcProvider.issuerUrl);
    const existing = await this.client.getOidcProvider(arn);
    if (!existing && !aws.oidcProvider.manage) {
      throw terminal(
        Reason.OIDCProviderNotFound,
        `IAM OIDC provider ${arn} does not exist: create it for ${aws.oidcProvider.issuerUrl}, or set spec.aws.oidcProvider.manage: true`,
      );
    }
    if (!existing) {
      await this.client.createOidcProvider(aws.oidcProvider.issuerUrl, [STS_AUDIENCE], {
        'keyless.dev/cloudaccount': account.name,
      });
    } else if (aws.oidcProvider.manage && !existing.ClientIDList?.includes(STS_AUDIENCE)) {
      await this.client.addOidcClientId(arn, STS_AUDIENCE);
    }
    return { callerIdentity: caller.Arn ?? `account ${caller.Account}` };
  }
}

class AwsRoles implements ExternalClient<IdentityRequest, IdentityObservation> {
  constructor(private readonly client: AwsClient) {}

  async observe(request: IdentityRequest): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    return observationOf(desired, await this.client.getRole(desired.name));
  }

  async create(request: IdentityRequest): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    try {
      return observationOf(desired, await this.client.createRole(desired));
    } catch (err) {
      if (!(err instanceof CloudError) || err.reason !== Reason.AlreadyExists) throw err;
      // Created by an earlier attempt whose answer was lost, or by someone else.
      const observed = await this.observe(request);
      if (!sameOwner(observed.owner, request.owner) && !request.adopt) {
        throw terminal(
          Reason.NotOwned,
          `role ${desired.name} already exists and belongs to ${describeOwner(observed.owner)}`,
          err,
        );
      }
      return observed.upToDate ? observed : this.update(request, observed);
    }
  }

  /** Only the parts that differ: one call each for trust, tags, boundary, session and description. */
  async update(request: IdentityRequest, observed: IdentityObservation): Promise<IdentityObservation> {
    const desired = desiredRole(request);
    const differs = (prefix: string) => observed.drift.some((d) => d.field.startsWith(prefix));
    if (differs('trustPolicy')) await this.client.updateTrustPolicy(desired.name, desired.trustPolicy);
    if (differs('tags')) await this.client.tagRole(desired.name, desired.tags);
    if (differs('permissionsBoundary')) {
      if (desired.permissionsBoundary)
        await this.client.putPermissionsBoundary(desired.name, desired.permissionsBoundary);
      else await this.client.deletePermissionsBoundary(desired.name);
    }
    if (differs('maxSessionDuration') || differs('description')) {
      await this.client.updateRole(desired.name, desired.maxSessionSeconds, desired.description);
    }
    return { ...observed, upToDate: true, drift: [], owner: request.owner };
  }

  /** Inline policies, attached policies, then the role: IAM refuses to delete a role with either. */
  async delete(request: IdentityRequest): Promise<void> {
    const name = desiredRole(request).name;
    if (!(await this.client.getRole(name))) return;
    for (const policy of await this.client.listRolePolicyNames(name))
      await this.client.deleteRolePolicy(name, policy);
    for (const arn of await this.client.listAttachedPolicyArns(name))
      await this.client.detachRolePolicy(name, arn);
    await this.client.deleteRole(name);
  }
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

  async observe(request: GrantRequest): Promise<GrantObservation> {
    const wanted = inlinePolicy(request.grants, request.expiresAt);
    const text = await this.client.getRolePolicy(
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

  async create(request: GrantRequest): Promise<GrantObservation> {
    return this.put(request);
  }

  async update(request: GrantRequest): Promise<GrantObservation> {
    return this.put(request);
  }

  async delete(request: GrantRequest): Promise<void> {
    await this.client.deleteRolePolicy(request.identity.externalName, inlinePolicyName(request.owner));
  }

  private async put(request: GrantRequest): Promise<GrantObservation> {
    const role = request.identity.externalName;
    const name = inlinePolicyName(request.owner);
    let othersSize = 0;
    for (const other of await this.client.listRolePolicyNames(role)) {
      if (other === name) continue;
      const text = await this.client.getRolePolicy(role, other);
      if (text !== undefined) othersSize += policySize(parsePolicyDocument(text));
    }
    checkInlinePolicySize(request, othersSize);
    const document = inlinePolicy(request.grants, request.expiresAt);
    await this.client.putRolePolicy(role, name, document);
    return {
      exists: true,
      upToDate: true,
      drift: [],
      applied: request.grants.map((g) => ({ resource: g.resource, summary: g.permissions.join(',') })),
    };
  }
}
