import type { FederatedIdentityCredential, Identity } from '@azure/arm-msi';
import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, terminal } from '../../runtime/errors.js';
import type {
  AccountClient,
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
import { diffTags } from '../shared/drift.js';
import { describeOwner, sameOwner } from '../shared/ownership.js';
import type { SecretReader } from '../shared/secrets.js';
import { AzureClient } from './client.js';
import { credentialFor } from './credentials.js';
import { codeOf } from './errors.js';
import { type FunctionApps, functionAppsOf } from './function-apps.js';
import { GraphClient, graphRootFor } from './graph.js';
import {
  assignmentFromSummary,
  assignmentName,
  assignmentSummary,
  azureAccountOf,
  credentialKey,
  type DesiredCredential,
  federatedCredentials,
  identityName,
  identityResourceId,
  identityTags,
  isRoleDefinitionId,
  MAX_FEDERATED_CREDENTIALS,
  ownerFromAzureTags,
  principalOfRequest,
  resolveAzureGrants,
  resourceGroupOf,
  validateAzureIdentity,
} from './mapping.js';
import { type IdentityRef, SiteAttachments } from './site-attachments.js';
import { AzureUsage } from './usage.js';

/** Client-side defaults, below the cloud's documented quotas; a CloudAccount's spec.rateLimits overrides them. */
export const DEFAULT_RATES = { read: { qps: 25, burst: 250 }, write: { qps: 10, burst: 200 } };

export interface AzureProviderOptions {
  secrets: SecretReader;
  /** Extra CA for `spec.endpoint` (tests); in a cluster use NODE_EXTRA_CA_CERTS. */
  ca?: string;
  /** How long one ARM call may take. */
  callTimeoutMs?: number;
  /** Told of every answer from this account's cloud that refused a call for its rate. */
  onThrottled?: (operation: string) => void;
}

/** The Azure provider for one CloudAccount: managed identities, federated credentials, role assignments. */
export function createAzureProvider(account: AccountRequest, options: AzureProviderOptions): CloudProvider {
  const azure = azureAccountOf(account);
  const credential = credentialFor(account, options.secrets);
  const limiter = accountLimiter(DEFAULT_RATES, account.spec.rateLimits, options.onThrottled);
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const client = new AzureClient({
    subscriptionId: azure.subscriptionId,
    credential,
    endpoint: account.spec.endpoint,
    ca: options.ca,
    limiter,
    callTimeoutMs,
  });
  const graphRoot = graphRootFor(account.spec.endpoint);
  const graph = graphRoot
    ? new GraphClient({ credential, root: graphRoot, ca: options.ca, limiter, callTimeoutMs })
    : undefined;
  return {
    name: 'azure',
    accounts: new AzureAccounts(client),
    identities: new AzureIdentities(client),
    grants: new AzureRoleAssignments(client),
    usage: new AzureUsage(graph),
  };
}

class AzureAccounts implements AccountClient {
  constructor(private readonly client: AzureClient) {}

  /** Looking up a built-in role at the subscription proves the credentials and the subscription. */
  async check(ctx: Context, account: AccountRequest) {
    const azure = azureAccountOf(account);
    await this.client.findRoleDefinition(ctx, `/subscriptions/${azure.subscriptionId}`, 'Reader');
    return {
      callerIdentity: `a principal of tenant ${azure.tenantId} in subscription ${azure.subscriptionId}`,
    };
  }
}

/** One lock per identity: Azure refuses concurrent federated-credential writes on one identity. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(
      key,
      previous.then(() => tail),
    );
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

class AzureIdentities implements ExternalClient<IdentityRequest, IdentityObservation>, IdentityValidator {
  private readonly credentialWrites = new KeyedMutex();
  private readonly sites: SiteAttachments;

  validate = validateAzureIdentity;

  constructor(private readonly client: AzureClient) {
    this.sites = new SiteAttachments(client);
  }

  private functionApps(request: IdentityRequest): FunctionApps {
    return functionAppsOf(request, azureAccountOf(request.account).subscriptionId);
  }

  /** How sites name the identity: its resource ID, spelled as ARM's other providers do. */
  private siteIdentity(request: IdentityRequest, clientId: string | undefined): IdentityRef {
    const id = identityResourceId(
      azureAccountOf(request.account).subscriptionId,
      resourceGroupOf(request),
      identityName(request.owner),
    );
    if (!clientId)
      throw new ClassifiedError(`managed identity ${id} has no client id yet`, {
        kind: 'retryable',
        reason: Reason.NotFound,
      });
    return { id, clientId };
  }

  async observe(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const name = identityName(request.owner);
    const resourceGroup = resourceGroupOf(request);
    const found = await this.client.getIdentity(ctx, resourceGroup, name);
    if (!found)
      return {
        exists: false,
        upToDate: false,
        drift: [],
        externalName: name,
        owner: undefined,
        principal: undefined,
      };
    const wanted = federatedCredentials(request);
    const existing = await this.client.listCredentials(ctx, resourceGroup, name);
    const apps = this.functionApps(request);
    const sites =
      apps.sites.length + apps.released.length > 0
        ? await this.sites.observe(ctx, apps, this.siteIdentity(request, found.clientId))
        : { functions: [], drift: [], pending: [] };
    const drift = [
      ...diffTags('tags', identityTags(request), found.tags),
      ...credentialDrift(wanted, existing),
      ...sites.drift,
    ];
    const observation = withFunctions(observationOf(name, found, drift), sites.functions);
    return sites.pending.length > 0 ? { ...observation, pending: sites.pending } : observation;
  }

  async create(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const name = identityName(request.owner);
    const resourceGroup = resourceGroupOf(request);
    const desired = federatedCredentials(request);
    const existing = await this.client.getIdentity(ctx, resourceGroup, name);
    if (existing && !sameOwner(ownerFromAzureTags(existing.tags), request.owner) && !request.adopt) {
      throw terminal(
        Reason.NotOwned,
        `managed identity ${name} already exists and belongs to ${describeOwner(ownerFromAzureTags(existing.tags))}`,
      );
    }
    const identity = await this.client.putIdentity(ctx, resourceGroup, name, {
      location: azureAccountOf(request.account).location,
      tags: { ...(existing?.tags ?? {}), ...identityTags(request) },
    });
    await this.writeCredentials(ctx, resourceGroup, name, desired);
    const apps = this.functionApps(request);
    const functions =
      apps.sites.length > 0
        ? await this.sites.attach(ctx, apps, this.siteIdentity(request, identity.clientId))
        : [];
    return withFunctions(observationOf(name, identity, []), functions);
  }

  async update(
    ctx: Context,
    request: IdentityRequest,
    observed: IdentityObservation,
  ): Promise<IdentityObservation> {
    const name = identityName(request.owner);
    const resourceGroup = resourceGroupOf(request);
    let identity: Identity | undefined;
    if (observed.drift.some((d) => d.field.startsWith('tags'))) {
      // PUT replaces every tag: keep the ones other tools set.
      const current = await this.client.getIdentity(ctx, resourceGroup, name);
      identity = await this.client.putIdentity(ctx, resourceGroup, name, {
        location: current?.location ?? azureAccountOf(request.account).location,
        tags: { ...(current?.tags ?? {}), ...identityTags(request) },
      });
    }
    if (observed.drift.some((d) => d.field.startsWith('federatedCredentials'))) {
      await this.writeCredentials(ctx, resourceGroup, name, federatedCredentials(request));
    }
    let functions = observed.functions;
    let left: IdentityObservation['drift'] = [];
    const siteDrift = observed.drift.filter((d) => d.field.startsWith('functionApps['));
    if (siteDrift.length > 0) {
      const apps = this.functionApps(request);
      const ref = this.siteIdentity(request, identity?.clientId ?? observed.principal?.clientId);
      // Only the sites with drift are read again and written; the others keep what observe saw.
      const written = new Map(
        (await this.sites.attach(ctx, apps, ref, siteDrift)).map((f) => [f.arn.toLowerCase(), f]),
      );
      const released = await this.sites.release(ctx, apps, ref, siteDrift);
      // A site that refused (or went) keeps its drift: it was not corrected.
      const failed = [...written.values()].filter((f) => f.state !== 'Attached').map((f) => f.arn);
      left = [
        ...siteDrift.filter((d) => failed.some((arn) => d.field.startsWith(`functionApps[${arn}].`))),
        ...released.left,
      ];
      const seen = new Map((observed.functions ?? []).map((f) => [f.arn.toLowerCase(), f]));
      functions = [
        ...apps.sites.flatMap((site) => {
          const key = site.id.toLowerCase();
          return written.get(key) ?? seen.get(key) ?? [];
        }),
        ...released.functions,
      ];
    }
    const { functions: _observed, pending: _pending, ...rest } = observed;
    return {
      ...rest,
      upToDate: left.length === 0,
      drift: left,
      owner: request.owner,
      principal: identity ? principalOf(identity) : observed.principal,
      ...(functions?.length ? { functions } : {}),
    };
  }

  /** Deleting the identity deletes its credentials; role assignments went with the bindings first. */
  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    const name = identityName(request.owner);
    const resourceGroup = resourceGroupOf(request);
    const apps = this.functionApps(request);
    if (apps.sites.length + apps.released.length > 0) {
      const found = await this.client.getIdentity(ctx, resourceGroup, name);
      if (found) await this.sites.detach(ctx, apps, this.siteIdentity(request, found.clientId));
    }
    try {
      await this.client.deleteIdentity(ctx, resourceGroup, name);
    } catch (err) {
      // ARM may accept a delete for later (202); it is done when the identity is gone.
      if (!(err instanceof ClassifiedError) || (err.cause as { statusCode?: number })?.statusCode !== 202)
        throw err;
    }
    if (await this.client.getIdentity(ctx, resourceGroup, name)) {
      throw new ClassifiedError(`managed identity ${name} is still being deleted`, {
        kind: 'retryable',
        reason: Reason.Deleting,
      });
    }
  }

  /**
   * One write at a time per identity. A credential whose issuer and subject already exist (under any
   * name) is present; Keyless's own credentials that are no longer wanted are deleted, and so is
   * any other credential on an identity Keyless owns: it would let another subject use it.
   */
  private async writeCredentials(
    ctx: Context,
    resourceGroup: string,
    identity: string,
    desired: DesiredCredential[],
  ): Promise<void> {
    await this.credentialWrites.run(`${resourceGroup}/${identity}`, async () => {
      const existing = await this.client.listCredentials(ctx, resourceGroup, identity);
      const wanted = new Set(desired.map(credentialKey));
      const present = new Set(existing.map((c) => credentialKey(c)));
      const extra = existing.filter((c) => !wanted.has(credentialKey(c)) || !sameAudiences(c));
      const missing = desired.filter(
        (c) =>
          !present.has(credentialKey(c)) ||
          existing.some((e) => credentialKey(e) === credentialKey(c) && !sameAudiences(e)),
      );
      if (existing.length - extra.length + missing.length > MAX_FEDERATED_CREDENTIALS) {
        throw terminal(
          Reason.TooManyCredentials,
          `managed identity ${identity} would have more than ${MAX_FEDERATED_CREDENTIALS} federated credentials`,
        );
      }
      for (const credential of extra) {
        if (credential.name)
          await this.client.deleteCredential(ctx, resourceGroup, identity, credential.name);
      }
      for (const credential of missing) {
        await this.client.putCredential(ctx, resourceGroup, identity, credential.name, {
          issuer: credential.issuer,
          subject: credential.subject,
          audiences: credential.audiences,
        });
      }
    });
  }
}

function sameAudiences(credential: FederatedIdentityCredential): boolean {
  return JSON.stringify(credential.audiences ?? []) === JSON.stringify(['api://AzureADTokenExchange']);
}

function credentialDrift(wanted: DesiredCredential[], existing: FederatedIdentityCredential[]) {
  const found = existing.map((c) => ({ key: credentialKey(c), audiences: c.audiences ?? [] }));
  const drift = [];
  for (const credential of wanted) {
    const match = found.find((f) => f.key === credentialKey(credential));
    if (!match || JSON.stringify(match.audiences) !== JSON.stringify(credential.audiences)) {
      drift.push({
        field: `federatedCredentials[${credential.subject}]`,
        wanted: JSON.stringify({ issuer: credential.issuer, audiences: credential.audiences }),
        found: match ? JSON.stringify({ audiences: match.audiences }) : 'absent',
      });
    }
  }
  const wantedKeys = new Set(wanted.map(credentialKey));
  for (const extra of existing.filter((c) => !wantedKeys.has(credentialKey(c)))) {
    drift.push({
      field: `federatedCredentials[${extra.subject}]`,
      wanted: 'absent',
      found: JSON.stringify({ issuer: extra.issuer, name: extra.name }),
    });
  }
  return drift;
}

/** Status lists the functions only where there are some. */
function withFunctions(
  observation: IdentityObservation,
  functions: IdentityObservation['functions'],
): IdentityObservation {
  return functions?.length ? { ...observation, functions } : observation;
}

function principalOf(identity: Identity) {
  return {
    id: identity.clientId,
    clientId: identity.clientId,
    principalId: identity.principalId,
    tenantId: identity.tenantId,
    resourceId: identity.id,
  };
}

function observationOf(
  name: string,
  identity: Identity,
  drift: IdentityObservation['drift'],
): IdentityObservation {
  return {
    exists: true,
    upToDate: drift.length === 0,
    drift,
    externalName: name,
    owner: ownerFromAzureTags(identity.tags),
    principal: principalOf(identity),
  };
}

interface PlannedAssignment {
  resource: string;
  role: string;
  scope: string;
  roleDefinitionId: string;
  name: string;
}

class AzureRoleAssignments implements ExternalClient<GrantRequest, GrantObservation>, GrantResolver {
  /** Role definition ids by subscription and role name: looked up once, then from here. */
  private readonly definitions = new Map<string, Promise<string>>();

  constructor(private readonly client: AzureClient) {}

  resolve = resolveAzureGrants;

  async observe(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const principalId = principalOfRequest(request);
    const planned = await this.plan(ctx, request);
    const drift = [];
    const applied = [];
    for (const a of planned) {
      const found = await this.client.getAssignment(ctx, a.scope, a.name);
      const same =
        found?.principalId === principalId &&
        found.roleDefinitionId?.toLowerCase() === a.roleDefinitionId.toLowerCase();
      if (same) applied.push({ resource: a.resource, summary: assignmentSummary(a.role, a.scope, a.name) });
      else {
        drift.push({
          field: `roleAssignments[${a.role} at ${a.scope}]`,
          wanted: a.roleDefinitionId,
          found: found ? `${found.roleDefinitionId} for ${found.principalId}` : 'absent',
        });
      }
    }
    for (const stale of this.stale(request, planned)) {
      if (await this.client.getAssignment(ctx, stale.scope, stale.name)) {
        drift.push({
          field: `roleAssignments[${stale.scope} (${stale.name})]`,
          wanted: 'absent',
          found: 'present',
        });
      }
    }
    return {
      exists: applied.length > 0 || planned.length === 0,
      upToDate: drift.length === 0,
      drift,
      applied,
    };
  }

  async create(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.apply(ctx, request);
  }

  async update(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.apply(ctx, request);
  }

  async delete(ctx: Context, request: GrantRequest): Promise<void> {
    const planned = await this.plan(ctx, request).catch(() => []);
    for (const a of [...planned, ...this.stale(request, planned)])
      await this.client.deleteAssignment(ctx, a.scope, a.name);
  }

  private async apply(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const principalId = principalOfRequest(request);
    const planned = await this.plan(ctx, request);
    for (const stale of this.stale(request, planned))
      await this.client.deleteAssignment(ctx, stale.scope, stale.name);
    for (const a of planned) {
      try {
        await this.client.putAssignment(ctx, a.scope, a.name, a.roleDefinitionId, principalId);
      } catch (err) {
        // The same role for the same principal at the same scope under another name: the access is there.
        if (!(err instanceof ClassifiedError && codeOf(err.cause) === 'RoleAssignmentExists')) throw err;
      }
    }
    return {
      exists: true,
      upToDate: true,
      drift: [],
      applied: planned.map((a) => ({
        resource: a.resource,
        summary: assignmentSummary(a.role, a.scope, a.name),
      })),
    };
  }

  private async plan(ctx: Context, request: GrantRequest): Promise<PlannedAssignment[]> {
    const planned: PlannedAssignment[] = [];
    for (const grant of request.grants) {
      const role = grant.permissions[0] ?? '';
      const scope = grant.scopes[0] ?? grant.resource;
      const roleDefinitionId = await this.roleDefinitionId(ctx, request, scope, role);
      planned.push({
        resource: grant.resource,
        role,
        scope,
        roleDefinitionId,
        name: assignmentName(request.owner.uid, scope, roleDefinitionId),
      });
    }
    return [...new Map(planned.map((a) => [a.name, a])).values()];
  }

  /** Assignments status says this binding made that the spec no longer wants. */
  private stale(request: GrantRequest, planned: PlannedAssignment[]): { scope: string; name: string }[] {
    const wanted = new Set(planned.map((a) => a.name));
    return request.previous
      .flatMap((p) => assignmentFromSummary(p.summary) ?? [])
      .filter((a) => !wanted.has(a.name));
  }

  private roleDefinitionId(
    ctx: Context,
    request: GrantRequest,
    scope: string,
    role: string,
  ): Promise<string> {
    const subscriptionId = azureAccountOf(request.account).subscriptionId;
    if (isRoleDefinitionId(role)) {
      return Promise.resolve(
        role.includes('/')
          ? role
          : `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      );
    }
    const key = `${subscriptionId}|${role}`;
    let cached = this.definitions.get(key);
    if (!cached) {
      cached = (async () => {
        try {
          const id = await this.client.findRoleDefinition(ctx, scope, role);
          if (!id) throw terminal(Reason.RoleNotFound, `no role named "${role}" is defined at ${scope}`);
          return id;
        } catch (err) {
          this.definitions.delete(key);
          throw err;
        }
      })();
      this.definitions.set(key, cached);
    }
    return cached;
  }
}
