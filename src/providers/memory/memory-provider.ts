import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, terminal } from '../../runtime/errors.js';
import type {
  AccountClient,
  CloudProvider,
  ExternalClient,
  GrantObservation,
  GrantRequest,
  GrantResolver,
  IdentityObservation,
  IdentityRequest,
  IdentityValidator,
  UsageReader,
  UsageReport,
} from '../provider.js';
import { type AccountLimiter, cloudCalls } from '../shared/cloud-calls.js';
import { diffFields, diffTags } from '../shared/drift.js';
import { deterministicName } from '../shared/naming.js';
import { describeOwner, ownerFromTags, sameOwner } from '../shared/ownership.js';
import { grantDocument, identityDocument, resolveGrants } from './mapping.js';
import type { MemoryCloud, MemoryIdentity, MemoryOperation, MemoryUsage } from './memory-cloud.js';

type Call = <T>(ctx: Context, operation: MemoryOperation, target: string, body: () => T) => Promise<T>;

export interface MemoryProviderOptions {
  /** A client-side limiter shared by every call, slowed when the cloud throttles (paused for a Retry-After), as real providers do. */
  limiter?: AccountLimiter;
}

/** The cloud's `call`, behind the provider's limiter when there is one, as the real clients do. */
function limitedCall(cloud: MemoryCloud, limiter: AccountLimiter | undefined): Call {
  if (!limiter) return (ctx, operation, target, body) => cloud.call(operation, target, body, ctx.signal);
  const calls = cloudCalls(limiter, asClassified, () => false);
  return (ctx, operation, target, body) =>
    calls.call(ctx, operation, (signal) => cloud.call(operation, target, body, signal));
}

function asClassified(err: unknown, operation: string): ClassifiedError {
  if (err instanceof ClassifiedError) return err;
  return new ClassifiedError(`${operation}: ${String(err)}`, {
    kind: 'retryable',
    reason: Reason.CloudUnavailable,
    cause: err,
  });
}

const NAME_RULE = { prefix: 'keyless', maxLength: 64, invalid: /[^A-Za-z0-9+=,.@_-]/g };

export function identityName(request: Pick<IdentityRequest, 'owner'>): string {
  return deterministicName(request.owner, NAME_RULE);
}

export function grantSetName(request: GrantRequest): string {
  return `${request.identity.externalName}/${deterministicName(request.owner, NAME_RULE)}`;
}

/** The provider for the in-memory cloud: the same contract the real clouds implement. */
export class MemoryProvider implements CloudProvider {
  readonly name = 'memory' as const;
  readonly accounts: AccountClient;
  readonly identities: ExternalClient<IdentityRequest, IdentityObservation> & IdentityValidator;
  readonly grants: ExternalClient<GrantRequest, GrantObservation> & GrantResolver;
  readonly usage: UsageReader;

  constructor(cloud: MemoryCloud, options: MemoryProviderOptions = {}) {
    const call = limitedCall(cloud, options.limiter);
    this.accounts = {
      check: (ctx, account) =>
        call(ctx, 'CheckAccount', account.name, () => ({ callerIdentity: 'memory:operator' })),
    };
    this.identities = new MemoryIdentities(cloud, call);
    this.grants = new MemoryGrants(cloud, call);
    this.usage = {
      review: (ctx, request) =>
        call(ctx, 'GetUsage', request.externalName, () =>
          memoryUsageReport(cloud.usage.get(request.externalName)),
        ),
    };
  }
}

/** One read: the identity's last sign-in and its services, as AWS reports them (service namespace per grant). */
function memoryUsageReport(usage: MemoryUsage | undefined): UsageReport {
  return {
    source: 'MemoryUsage',
    ...(usage?.lastUsed ? { lastUsed: usage.lastUsed } : {}),
    ...(usage?.where ? { lastUsedWhere: usage.where } : {}),
    services: [...(usage?.services ?? [])].map(([service, lastUsed]) => ({ service, lastUsed })),
  };
}

class MemoryIdentities implements ExternalClient<IdentityRequest, IdentityObservation>, IdentityValidator {
  constructor(
    private readonly cloud: MemoryCloud,
    private readonly call: Call,
  ) {}

  validate(request: IdentityRequest): void {
    identityDocument(request);
  }

  async observe(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const name = identityName(request);
    const found = await this.call(ctx, 'GetIdentity', name, () => this.cloud.identities.get(name));
    return observationOf(request, name, found);
  }

  async create(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const name = identityName(request);
    const stored = await this.call(ctx, 'CreateIdentity', name, () => {
      const existing = this.cloud.identities.get(name);
      if (existing) {
        if (!sameOwner(ownerFromTags(existing.tags), request.owner) && !request.adopt) {
          throw terminal(
            Reason.NotOwned,
            `identity ${name} exists and belongs to ${describeOwner(ownerFromTags(existing.tags))}`,
          );
        }
        return existing;
      }
      const created: MemoryIdentity = {
        name,
        accountName: request.account.name,
        principalId: this.cloud.newPrincipalId(),
        ...identityDocument(request),
      };
      this.cloud.identities.set(name, created);
      return created;
    });
    return observationOf(request, name, stored);
  }

  async update(ctx: Context, request: IdentityRequest): Promise<IdentityObservation> {
    const name = identityName(request);
    const stored = await this.call(ctx, 'UpdateIdentity', name, () => {
      const existing = this.cloud.identities.get(name);
      if (!existing) {
        throw new ClassifiedError(`identity ${name} vanished during update`, {
          kind: 'retryable',
          reason: Reason.NotFound,
        });
      }
      Object.assign(existing, identityDocument(request));
      return existing;
    });
    return observationOf(request, name, stored);
  }

  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    const name = identityName(request);
    await this.call(ctx, 'DeleteIdentity', name, () => {
      this.cloud.identities.delete(name);
      for (const [key, set] of this.cloud.grantSets)
        if (set.identityName === name) this.cloud.grantSets.delete(key);
    });
  }
}

function observationOf(
  request: IdentityRequest,
  name: string,
  found: MemoryIdentity | undefined,
): IdentityObservation {
  if (!found)
    return {
      exists: false,
      upToDate: false,
      drift: [],
      externalName: name,
      owner: undefined,
      principal: undefined,
    };
  const wanted = identityDocument(request);
  const drift = [
    ...diffFields({ trust: wanted.trust, maxSessionSeconds: wanted.maxSessionSeconds }, found),
    ...diffTags('tags', wanted.tags, found.tags),
  ];
  return {
    exists: true,
    upToDate: drift.length === 0,
    drift,
    externalName: name,
    owner: ownerFromTags(found.tags),
    principal: { id: `memory://${found.accountName}/identities/${name}`, principalId: found.principalId },
  };
}

class MemoryGrants implements ExternalClient<GrantRequest, GrantObservation>, GrantResolver {
  constructor(
    private readonly cloud: MemoryCloud,
    private readonly call: Call,
  ) {}

  resolve = resolveGrants;

  async observe(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const key = grantSetName(request);
    const found = await this.call(ctx, 'GetGrants', key, () => this.cloud.grantSets.get(key));
    if (!found) return { exists: false, upToDate: false, drift: [], applied: [] };
    const wanted = { permissions: grantDocument(request), expiresAt: request.expiresAt?.toISOString() };
    const drift = diffFields(wanted, found);
    return { exists: true, upToDate: drift.length === 0, drift, applied: appliedOf(found.permissions) };
  }

  async create(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.put(ctx, request);
  }

  async update(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    return this.put(ctx, request);
  }

  async delete(ctx: Context, request: GrantRequest): Promise<void> {
    const key = grantSetName(request);
    await this.call(ctx, 'DeleteGrants', key, () => this.cloud.grantSets.delete(key));
  }

  private async put(ctx: Context, request: GrantRequest): Promise<GrantObservation> {
    const key = grantSetName(request);
    const permissions = grantDocument(request);
    await this.call(ctx, 'PutGrants', key, () => {
      if (!this.cloud.identities.has(request.identity.externalName)) {
        throw new ClassifiedError(`identity ${request.identity.externalName} does not exist`, {
          kind: 'retryable',
          reason: Reason.NotFound,
        });
      }
      this.cloud.grantSets.set(key, {
        identityName: request.identity.externalName,
        permissions,
        expiresAt: request.expiresAt?.toISOString(),
      });
    });
    return { exists: true, upToDate: true, drift: [], applied: appliedOf(permissions) };
  }
}

function appliedOf(permissions: Record<string, string[]>): { resource: string; summary: string }[] {
  return Object.entries(permissions).map(([resource, perms]) => ({ resource, summary: perms.join(',') }));
}
