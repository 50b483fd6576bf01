/**
 * Serves one routed ARM request from the fake's state: status codes, list pages, the one-write-at-a-time
 * rule for federated credentials, and accepted (202) identity deletes with their operation URLs.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Authorization } from './authorization.js';
import * as errors from './errors.js';
import type { Identities } from './identities.js';
import { pageOf } from './paging.js';
import type { IdentityRef, Route } from './routing.js';
import type { Sites } from './sites.js';

export interface ArmResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HandlerContext {
  readonly identities: Identities;
  readonly authorization: Authorization;
  readonly sites: Sites;
  readonly operations: AsyncOperations;
  /** How long a federated credential write takes; a second one on the same identity meanwhile is refused. */
  readonly ficWriteMs: number;
  readonly pageSize: number;
  /** `https://127.0.0.1:PORT`, for next links and operation URLs. */
  readonly endpoint: string;
  /** Aborted by `stop()`: ends the simulated write time. */
  readonly signal: AbortSignal;
  readonly now: () => number;
}

export interface RoutedRequest {
  readonly route: Route;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly apiVersion: string;
  readonly body: unknown;
  /** Set when an `acceptedDelete` fault applies to this `identities.delete`. */
  readonly acceptDeleteAfterMs?: number;
}

interface AsyncOperation {
  readonly id: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly startTime: number;
  readonly completeAt: number;
}

/** Asynchronous operations started by accepted deletes, polled through their status and result URLs. */
export class AsyncOperations {
  readonly #operations = new Map<string, AsyncOperation>();

  start(subscriptionId: string, location: string, startTime: number, completeAt: number): AsyncOperation {
    const operation = { id: randomUUID(), subscriptionId, location, startTime, completeAt };
    this.#operations.set(operation.id, operation);
    return operation;
  }

  get(subscriptionId: string, id: string): AsyncOperation {
    const operation = this.#operations.get(id.toLowerCase());
    if (!operation || operation.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw errors.operationNotFound(id);
    }
    return operation;
  }
}

const ok = (body: unknown, status = 200): ArmResponse => ({ status, body });
const NO_CONTENT: ArmResponse = { status: 204 };

export class Handlers {
  readonly #context: HandlerContext;
  /** Identities with a federated credential write in progress (lower-cased keys). */
  readonly #credentialWrites = new Set<string>();

  constructor(context: HandlerContext) {
    this.#context = context;
  }

  async serve(request: RoutedRequest): Promise<ArmResponse> {
    const { identities, authorization } = this.#context;
    const { route, query, body } = request;
    switch (route.operation) {
      case 'identities.put': {
        const { status, resource } = identities.put(route.identity, body);
        return ok(resource, status);
      }
      case 'identities.get':
        return ok(identities.get(route.identity));
      case 'identities.patch':
        return ok(identities.patch(route.identity, body));
      case 'identities.delete':
        return this.#deleteIdentity(route.identity, request);
      case 'identities.list':
        return ok(this.#page(identities.list(route.subscriptionId, route.resourceGroup), request));
      case 'federatedCredentials.put':
        return this.#writeCredential(route.identity, () => {
          const { status, resource } = identities.putCredential(route.identity, route.credential, body);
          return ok(resource, status);
        });
      case 'federatedCredentials.get':
        return ok(identities.credential(route.identity, route.credential));
      case 'federatedCredentials.delete':
        return this.#writeCredential(route.identity, () =>
          identities.deleteCredential(route.identity, route.credential) ? ok(undefined) : NO_CONTENT,
        );
      case 'federatedCredentials.list':
        return ok(this.#page(identities.credentials(route.identity), request));
      case 'roleAssignments.put': {
        const { status, resource } = authorization.put(route.scope, route.name, body);
        return ok(resource, status);
      }
      case 'roleAssignments.get':
        return ok(authorization.get(route.scope, route.name));
      case 'roleAssignments.delete': {
        const deleted = authorization.delete(route.scope, route.name);
        return deleted ? ok(deleted) : NO_CONTENT;
      }
      case 'roleAssignments.list':
        return ok(this.#page(authorization.list(route.scope, query.get('$filter')), request));
      case 'roleDefinitions.get':
        return ok(authorization.roleDefinition(route.scope, route.id));
      case 'roleDefinitions.list':
        return ok(this.#page(authorization.roleDefinitions(route.scope, query.get('$filter')), request));
      case 'sites.get':
        return ok(this.#context.sites.get(route.site));
      case 'sites.patch':
        return ok(this.#context.sites.patch(route.site, body));
      case 'sites.listSettings':
        return ok(this.#context.sites.settings(route.site));
      case 'sites.putSettings':
        return ok(this.#context.sites.putSettings(route.site, body));
      case 'operations.get':
        return this.#operation(route.subscriptionId, route.kind, route.id, request.apiVersion);
    }
  }

  /**
   * Azure refuses a credential write on an identity while another one is in progress there
   * (`ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity`); each write takes `ficWriteMs`.
   */
  async #writeCredential(identity: IdentityRef, write: () => ArmResponse): Promise<ArmResponse> {
    const { key, id } = this.#context.identities.concurrencyKey(identity);
    if (this.#credentialWrites.has(key)) throw errors.concurrentFicWrites(id);
    this.#credentialWrites.add(key);
    try {
      await sleep(this.#context.ficWriteMs, undefined, { signal: this.#context.signal });
      return write();
    } finally {
      this.#credentialWrites.delete(key);
    }
  }

  #deleteIdentity(identity: IdentityRef, request: RoutedRequest): ArmResponse {
    const { identities, operations, endpoint, now } = this.#context;
    if (request.acceptDeleteAfterMs === undefined) {
      return identities.delete(identity) ? ok(undefined) : NO_CONTENT;
    }
    const start = now();
    const deleting = identities.deleteAt(identity, start + request.acceptDeleteAfterMs);
    const operation = operations.start(
      identity.subscriptionId,
      deleting.location,
      start,
      start + request.acceptDeleteAfterMs,
    );
    const base = `${endpoint}/subscriptions/${identity.subscriptionId}/providers/Microsoft.ManagedIdentity/locations/${operation.location}`;
    const apiVersion = `api-version=${encodeURIComponent(request.apiVersion)}`;
    return {
      status: 202,
      headers: {
        'azure-asyncoperation': `${base}/operationStatuses/${operation.id}?${apiVersion}`,
        location: `${base}/operationResults/${operation.id}?${apiVersion}`,
        'retry-after': '1',
      },
    };
  }

  /** Status URL: `{status: InProgress|Succeeded}`. Result URL: 202 until done, then 204. */
  #operation(subscriptionId: string, kind: 'status' | 'result', id: string, apiVersion: string): ArmResponse {
    const operation = this.#context.operations.get(subscriptionId, id);
    const done = this.#context.now() >= operation.completeAt;
    if (kind === 'result') {
      if (done) return NO_CONTENT;
      const location = `${this.#context.endpoint}/subscriptions/${subscriptionId}/providers/Microsoft.ManagedIdentity/locations/${operation.location}/operationResults/${id}?api-version=${encodeURIComponent(apiVersion)}`;
      return { status: 202, headers: { location, 'retry-after': '1' } };
    }
    return ok({
      id: `/subscriptions/${subscriptionId}/providers/Microsoft.ManagedIdentity/locations/${operation.location}/operationStatuses/${id}`,
      name: id,
      status: done ? 'Succeeded' : 'InProgress',
      startTime: new Date(operation.startTime).toISOString(),
      ...(done ? { endTime: new Date(operation.completeAt).toISOString() } : {}),
    });
  }

  #page<T>(items: readonly T[], request: RoutedRequest) {
    return pageOf(items, request.query, this.#context.pageSize, `${this.#context.endpoint}${request.path}`);
  }
}
