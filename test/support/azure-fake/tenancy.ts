/**
 * What exists around the resources: subscriptions with their tenant and resource groups, and the
 * directory of principals that role assignments name (with Entra's replication delay).
 */
import * as errors from './errors.js';

export interface SubscriptionConfig {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resourceGroups?: readonly string[];
}

/** A scope taken apart: the tenant root (`/`), a subscription, a resource group, or a resource below one. */
export interface ParsedScope {
  /** As ARM echoes it back: a leading `/`, single slashes. */
  readonly scope: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
}

export interface Principal {
  readonly principalId: string;
  readonly tenantId: string;
  /** `ServicePrincipal` for managed identities. */
  readonly principalType: string;
  /** When Entra ID created it; role assignments see it `principalReplicationMs` later. */
  readonly createdAt: number;
}

const key = (value: string) => value.toLowerCase();

export class Tenancy {
  readonly #subscriptions = new Map<
    string,
    { config: SubscriptionConfig; resourceGroups: Map<string, string> }
  >();
  readonly #principals = new Map<string, Principal>();
  readonly #now: () => number;
  readonly #principalReplicationMs: number;

  constructor(
    subscriptions: readonly SubscriptionConfig[],
    now: () => number,
    principalReplicationMs: number,
  ) {
    this.#now = now;
    this.#principalReplicationMs = principalReplicationMs;
    for (const config of subscriptions) this.addSubscription(config);
  }

  addSubscription(config: SubscriptionConfig): void {
    const resourceGroups = new Map((config.resourceGroups ?? []).map((name) => [key(name), name]));
    this.#subscriptions.set(key(config.subscriptionId), { config, resourceGroups });
  }

  addResourceGroup(subscriptionId: string, resourceGroup: string): void {
    this.#subscription(subscriptionId).resourceGroups.set(key(resourceGroup), resourceGroup);
  }

  /** The subscription's tenant; throws `SubscriptionNotFound`. */
  tenantOf(subscriptionId: string): string {
    return this.#subscription(subscriptionId).config.tenantId;
  }

  /** Throws `SubscriptionNotFound` or `ResourceGroupNotFound`. */
  requireResourceGroup(subscriptionId: string, resourceGroup: string): void {
    if (!this.#subscription(subscriptionId).resourceGroups.has(key(resourceGroup))) {
      throw errors.resourceGroupNotFound(resourceGroup);
    }
  }

  /**
   * Parses and checks a scope: `/`, `/subscriptions/S`, `/subscriptions/S/resourceGroups/RG[/...]`.
   * Resources below a resource group are not tracked: any such scope is accepted.
   */
  parseScope(scope: string, allowTenantRoot: boolean): ParsedScope {
    const segments = scope.split('/').filter((segment) => segment.length > 0);
    const normalised = `/${segments.join('/')}`;
    if (segments.length === 0) {
      if (allowTenantRoot) return { scope: '/' };
      throw errors.unsupportedScope(normalised);
    }
    const [first, subscriptionId, third, resourceGroup] = segments;
    if (key(first ?? '') !== 'subscriptions' || subscriptionId === undefined) {
      throw errors.unsupportedScope(normalised);
    }
    this.tenantOf(subscriptionId);
    if (third === undefined) return { scope: normalised, subscriptionId };
    if (key(third) !== 'resourcegroups' || resourceGroup === undefined) {
      // e.g. /subscriptions/S/providers/...: a subscription-level resource.
      return { scope: normalised, subscriptionId };
    }
    this.requireResourceGroup(subscriptionId, resourceGroup);
    return { scope: normalised, subscriptionId, resourceGroup };
  }

  addPrincipal(principal: Principal): void {
    this.#principals.set(key(principal.principalId), principal);
  }

  removePrincipal(principalId: string): void {
    this.#principals.delete(key(principalId));
  }

  /** The principal as role assignments see it: not yet there during the replication delay. */
  replicatedPrincipal(principalId: string): Principal | undefined {
    const principal = this.#principals.get(key(principalId));
    if (!principal) return undefined;
    return this.#now() - principal.createdAt >= this.#principalReplicationMs ? principal : undefined;
  }

  /** The principal whether replicated or not (to fill in principalType). */
  principal(principalId: string): Principal | undefined {
    return this.#principals.get(key(principalId));
  }

  #subscription(subscriptionId: string) {
    const subscription = this.#subscriptions.get(key(subscriptionId));
    if (!subscription) throw errors.subscriptionNotFound(subscriptionId);
    return subscription;
  }
}
