/**
 * Faults injected into the fake on demand: latency, ARM's throttling and authorization answers, the
 * role-assignment limit, an accepted (202) identity delete, or any ARM error. Rules work like the
 * fault proxy's (../fault-proxy/rules.ts): the first matching rule applies, `times` uses it up.
 * (The fault proxy cannot sit in front of this fake: it forwards to plain HTTP only.)
 */
import type { AzureOperation } from './routing.js';

export type AzureFault =
  /** 429 `SubscriptionRequestsThrottled`, with `Retry-After` when `retryAfterSeconds` is set. */
  | { readonly kind: 'throttled'; readonly retryAfterSeconds?: number }
  /** 403 `AuthorizationFailed` naming the caller (default: the fake's `caller`), the action and the scope. */
  | { readonly kind: 'authorizationFailed'; readonly clientId?: string; readonly objectId?: string }
  /** 400 `RoleAssignmentLimitExceeded` (only meaningful for `roleAssignments.put`). */
  | { readonly kind: 'roleAssignmentLimitExceeded' }
  /**
   * `identities.delete` only: 202 with `Azure-AsyncOperation`, `Location` and `Retry-After`; the identity
   * disappears `completeAfterMs` later (default 0) and the operation URLs report the progress.
   */
  | { readonly kind: 'acceptedDelete'; readonly completeAfterMs?: number }
  /** Any ARM error answer. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** A request as rules see it: routed, body parsed. */
export interface FaultableRequest {
  readonly method: string;
  /** Normalised path (single slashes, decoded segments). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly operation: AzureOperation;
  /** The parsed JSON body, if any. */
  readonly body: unknown;
}

export interface AzureFaultRule {
  readonly operation?: AzureOperation;
  readonly when?: (request: FaultableRequest) => boolean;
  /** How many matching requests the rule applies to; then it is gone. Default: all of them. */
  readonly times?: number;
  /** Wait this long before answering (alone: then the request is served normally). */
  readonly latencyMs?: number;
  readonly fault?: AzureFault;
}

export interface InjectedFault {
  /** How many requests it has been applied to so far. */
  applied(): number;
  /** Takes the rule out before its `times` are used up. */
  remove(): void;
}

interface ActiveRule {
  readonly rule: AzureFaultRule;
  remaining: number;
  applied: number;
}

function validateRule(rule: AzureFaultRule): void {
  const problems: string[] = [];
  const times = rule.times ?? Number.POSITIVE_INFINITY;
  if (!(times === Number.POSITIVE_INFINITY || (Number.isInteger(times) && times > 0))) {
    problems.push(`times must be a positive integer, not ${rule.times}`);
  }
  if (rule.latencyMs !== undefined && !(rule.latencyMs >= 0)) problems.push('latencyMs must be >= 0');
  if (rule.latencyMs === undefined && rule.fault === undefined)
    problems.push('a rule needs latencyMs or a fault');
  if (rule.fault?.kind === 'acceptedDelete' && rule.operation !== 'identities.delete') {
    problems.push("acceptedDelete needs operation: 'identities.delete'");
  }
  if (rule.fault?.kind === 'error' && !(rule.fault.status >= 400 && rule.fault.status <= 599)) {
    problems.push(`an error fault needs a 4xx or 5xx status, not ${rule.fault.status}`);
  }
  if (problems.length > 0) throw new Error(`invalid Azure fault rule: ${problems.join('; ')}`);
}

export class AzureFaultRules {
  readonly #active: ActiveRule[] = [];

  inject(rule: AzureFaultRule): InjectedFault {
    validateRule(rule);
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY, applied: 0 };
    this.#active.push(active);
    return { applied: () => active.applied, remove: () => this.#remove(active) };
  }

  clear(): void {
    this.#active.length = 0;
  }

  /** The rule to apply to `request`, counted as applied; undefined to serve it normally. */
  take(request: FaultableRequest): AzureFaultRule | undefined {
    const active = this.#active.find(
      ({ rule }) =>
        (rule.operation === undefined || rule.operation === request.operation) &&
        (rule.when === undefined || rule.when(request)),
    );
    if (!active) return undefined;
    active.applied++;
    active.remaining--;
    if (active.remaining <= 0) this.#remove(active);
    return active.rule;
  }

  #remove(active: ActiveRule): void {
    const index = this.#active.indexOf(active);
    if (index >= 0) this.#active.splice(index, 1);
  }
}

/** The RBAC action a request needs, for `AuthorizationFailed` messages. */
export function actionOf(operation: AzureOperation): string {
  const site = {
    'sites.get': 'Microsoft.Web/sites/read',
    'sites.patch': 'Microsoft.Web/sites/write',
    'sites.listSettings': 'Microsoft.Web/sites/config/list/action',
    'sites.putSettings': 'Microsoft.Web/sites/config/write',
  }[operation as string];
  if (site) return site;
  const [resource, verb] = operation.split('.') as [string, string];
  const type = {
    identities: 'Microsoft.ManagedIdentity/userAssignedIdentities',
    federatedCredentials: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
    roleAssignments: 'Microsoft.Authorization/roleAssignments',
    roleDefinitions: 'Microsoft.Authorization/roleDefinitions',
    operations: 'Microsoft.ManagedIdentity/locations/operationStatuses',
  }[resource];
  const action = { put: 'write', patch: 'write', get: 'read', list: 'read', delete: 'delete' }[verb];
  return `${type}/${action}`;
}
