/**
 * `startAzureFake()`: an HTTPS server on 127.0.0.1 that answers the ARM calls of `@azure/arm-msi` and
 * `@azure/arm-authorization` (managed identities, federated identity credentials, role assignments and
 * definitions) following the public ARM REST contract, with a throwaway CA whose PEM clients trust.
 *
 * Each request is counted by operation, then checked in ARM's order: bearer token (401), api-version
 * (400), injected faults, then served from in-memory state. Tests read and edit that state directly
 * (uncounted) through `fake.identities`, `fake.federatedCredentials`, `fake.roleAssignments` and
 * `fake.directory`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Authorization, type RoleAssignmentJson } from './authorization.js';
import * as errors from './errors.js';
import { ArmError } from './errors.js';
import {
  type AzureFault,
  type AzureFaultRule,
  AzureFaultRules,
  actionOf,
  type InjectedFault,
} from './faults.js';
import { type ArmResponse, AsyncOperations, Handlers } from './handlers.js';
import {
  type FederatedCredentialJson,
  Identities,
  type IdentityJson,
  type SeedIdentityOptions,
  TOKEN_EXCHANGE_AUDIENCE,
} from './identities.js';
import {
  type AzureOperation,
  checkApiVersion,
  type IdentityRef,
  type ParsedRequest,
  parseRequest,
} from './routing.js';
import { type SubscriptionConfig, Tenancy } from './tenancy.js';
import { generateServingTls } from './tls.js';

export const DEFAULT_SUBSCRIPTION: SubscriptionConfig = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroups: ['keyless'],
};

/** Who the fake says is calling, in `AuthorizationFailed` messages. */
export interface AzureCaller {
  readonly clientId: string;
  readonly objectId: string;
}

export interface AzureFakeOptions {
  /** Subscriptions (with their tenant and resource groups) that exist. Default: `[DEFAULT_SUBSCRIPTION]`. */
  readonly subscriptions?: readonly SubscriptionConfig[];
  /** How long a new identity's principal stays unknown to role assignments (Entra replication). Default 0. */
  readonly principalReplicationMs?: number;
  /** How long each federated credential write takes; overlapping writes on one identity get 409. Default 50. */
  readonly ficWriteMs?: number;
  /** Items per list page before a `nextLink`. Default 100. */
  readonly pageSize?: number;
  /** Federated credentials per identity. Azure: 20. */
  readonly federatedCredentialLimit?: number;
  /** Role assignments per subscription. Azure: 4000. */
  readonly roleAssignmentLimit?: number;
  /** As Azure: a role assignment that sets `principalType` skips the principal lookup. Default true. */
  readonly principalTypeSkipsLookup?: boolean;
  /** Which bearer tokens are valid. Default: any non-empty one. */
  readonly acceptToken?: (token: string) => boolean;
  readonly caller?: AzureCaller;
  /** The clock for replication delays, accepted deletes and timestamps. Default `Date.now`. */
  readonly now?: () => number;
}

export interface RecordedRequest {
  readonly method: string;
  /** Normalised: single slashes, decoded segments. */
  readonly path: string;
  readonly apiVersion: string | undefined;
  readonly operation: AzureOperation | 'unrouted';
  readonly status: number;
  readonly errorCode?: string;
}

export interface IdentityCreateOptions extends SeedIdentityOptions {
  readonly location: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface FederatedCredentialProperties {
  readonly issuer: string;
  readonly subject: string;
  /** Default `['api://AzureADTokenExchange']`. */
  readonly audiences?: readonly string[];
}

export interface RoleAssignmentProperties {
  /** `/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID` (or without the subscription). */
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType?: string;
}

export interface AzureFake {
  /** `https://127.0.0.1:PORT`: the ARM endpoint to give clients. */
  readonly endpoint: string;
  readonly port: number;
  /** The CA to trust (`tlsOptions: { ca }`). */
  readonly caPem: string;
  readonly caller: AzureCaller;
  /** Requests received per operation since the start or `resetCounts()`, failed and faulted ones included. */
  counts(): Record<string, number>;
  /** Clears the counts and the request log. */
  resetCounts(): void;
  /** Every request since the start or `resetCounts()`, oldest first. */
  requests(): readonly RecordedRequest[];
  inject(rule: AzureFaultRule): InjectedFault;
  clearFaults(): void;
  /** Out-of-band reads and edits (not counted, no faults, no write delay). Ids are ARM JSON as served. */
  readonly identities: {
    get(ref: IdentityRef): IdentityJson | undefined;
    list(subscriptionId: string, resourceGroup?: string): IdentityJson[];
    /** Creates or replaces an identity as someone else would have. */
    create(ref: IdentityRef, options: IdentityCreateOptions): IdentityJson;
    setTags(ref: IdentityRef, tags: Readonly<Record<string, string>>): IdentityJson;
    delete(ref: IdentityRef): boolean;
  };
  readonly federatedCredentials: {
    list(identity: IdentityRef): FederatedCredentialJson[];
    get(identity: IdentityRef, name: string): FederatedCredentialJson | undefined;
    put(
      identity: IdentityRef,
      name: string,
      properties: FederatedCredentialProperties,
    ): FederatedCredentialJson;
    delete(identity: IdentityRef, name: string): boolean;
  };
  readonly roleAssignments: {
    /** Every role assignment, any scope. */
    list(): RoleAssignmentJson[];
    get(name: string): RoleAssignmentJson | undefined;
    put(scope: string, name: string, properties: RoleAssignmentProperties): RoleAssignmentJson;
    delete(name: string): boolean;
  };
  readonly directory: {
    addSubscription(config: SubscriptionConfig): void;
    addResourceGroup(subscriptionId: string, resourceGroup: string): void;
    /** A principal that is not a managed identity (a user, a group, the operator's own principal). */
    addPrincipal(
      principalId: string,
      options?: { tenantId?: string; principalType?: string; createdAt?: number },
    ): void;
  };
  /**
   * Closes every connection (keep-alive ones too) and stops listening. Rejects if the fake itself
   * failed on any request (a bug in the fake, answered 500), so such failures never go unnoticed.
   * Safe to call twice.
   */
  stop(): Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)$/i;

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw errors.invalidRequestContent(error instanceof Error ? error.message : String(error));
  }
}

function authenticate(request: IncomingMessage, acceptToken: (token: string) => boolean): void {
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw errors.authorizationHeaderMissing();
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw errors.authorizationHeaderInvalid();
  if (!acceptToken(token)) throw errors.invalidAuthenticationToken();
}

function send(response: ServerResponse, answer: ArmResponse): void {
  const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...(body === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(body),
    'x-ms-request-id': randomUUID(),
    ...answer.headers,
  });
  response.end(body);
}

const errorAnswer = (error: ArmError): ArmResponse => ({
  status: error.status,
  body: error.body(),
  headers: error.headers,
});

function faultAnswer(fault: AzureFault, request: ParsedRequest, caller: AzureCaller): ArmError | undefined {
  switch (fault.kind) {
    case 'throttled': {
      const route = request.route;
      const subscriptionId =
        'identity' in route ? route.identity.subscriptionId : subscriptionOf(request.path);
      return errors.throttled(fault.retryAfterSeconds, subscriptionId);
    }
    case 'authorizationFailed':
      return errors.authorizationFailed(
        fault.clientId ?? caller.clientId,
        fault.objectId ?? caller.objectId,
        actionOf(request.route.operation),
        request.path,
      );
    case 'roleAssignmentLimitExceeded':
      return errors.roleAssignmentLimitExceeded();
    case 'error':
      return new ArmError(fault.status, fault.code, fault.message, fault.headers);
    case 'acceptedDelete':
      return undefined;
  }
}

function subscriptionOf(path: string): string {
  const segments = path.split('/');
  return segments[1]?.toLowerCase() === 'subscriptions' ? (segments[2] ?? '') : '';
}

export async function startAzureFake(options: AzureFakeOptions = {}): Promise<AzureFake> {
  const now = options.now ?? Date.now;
  const caller = options.caller ?? {
    clientId: '00000000-0000-0000-0000-00000000c11e',
    objectId: '00000000-0000-0000-0000-0000000000b1',
  };
  const acceptToken = options.acceptToken ?? ((token: string) => token.length > 0);
  const tenancy = new Tenancy(
    options.subscriptions ?? [DEFAULT_SUBSCRIPTION],
    now,
    options.principalReplicationMs ?? 0,
  );
  const identities = new Identities(tenancy, now, options.federatedCredentialLimit ?? 20);
  const authorization = new Authorization(tenancy, now, {
    roleAssignmentLimit: options.roleAssignmentLimit ?? 4000,
    principalTypeSkipsLookup: options.principalTypeSkipsLookup ?? true,
  });
  const faults = new AzureFaultRules();
  const counts = new Map<string, number>();
  let log: RecordedRequest[] = [];
  const failures: Error[] = [];
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const tls = await generateServingTls();
  // The endpoint is known once listening; handlers read it lazily through the context.
  let endpoint = '';

  const handlers = new Handlers({
    identities,
    authorization,
    operations: new AsyncOperations(),
    ficWriteMs: options.ficWriteMs ?? 50,
    pageSize: options.pageSize ?? 100,
    get endpoint() {
      return endpoint;
    },
    signal: stopping.signal,
    now,
  });

  /** Everything up to the answer; ARM errors are thrown and answered by the caller. */
  const answer = async (request: IncomingMessage, parsed: ParsedRequest): Promise<ArmResponse> => {
    const body = await readBody(request);
    authenticate(request, acceptToken);
    checkApiVersion(parsed);
    const rule = faults.take({
      method: request.method ?? 'GET',
      path: parsed.path,
      query: parsed.query,
      operation: parsed.route.operation,
      body,
    });
    if (rule?.latencyMs) await sleep(rule.latencyMs, undefined, { signal: stopping.signal });
    const fault = rule?.fault;
    const refusal = fault && faultAnswer(fault, parsed, caller);
    if (refusal) throw refusal;
    return handlers.serve({
      route: parsed.route,
      path: parsed.path,
      query: parsed.query,
      apiVersion: parsed.apiVersion ?? '',
      body,
      ...(fault?.kind === 'acceptedDelete' ? { acceptDeleteAfterMs: fault.completeAfterMs ?? 0 } : {}),
    });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    let parsed: ParsedRequest | undefined;
    let result: ArmResponse;
    let errorCode: string | undefined;
    try {
      parsed = parseRequest(method, request.url ?? '/');
      counts.set(parsed.route.operation, (counts.get(parsed.route.operation) ?? 0) + 1);
      result = await answer(request, parsed);
    } catch (error) {
      if (!parsed) counts.set('unrouted', (counts.get('unrouted') ?? 0) + 1);
      // stop() cut the connection (or ended a simulated delay), or the client went away: nobody is
      // left to answer.
      if (stopping.signal.aborted || response.destroyed) return;
      // Anything but an ARM answer is a bug in the fake: fail() reports it.
      if (!(error instanceof ArmError)) throw error;
      result = errorAnswer(error);
      errorCode = error.code;
    }
    log.push({
      method,
      path: parsed?.path ?? request.url ?? '/',
      apiVersion: parsed?.apiVersion,
      operation: parsed?.route.operation ?? 'unrouted',
      status: result.status,
      ...(errorCode === undefined ? {} : { errorCode }),
    });
    if (!response.destroyed) send(response, result);
  };

  /** A bug in the fake: answered 500 (so the test's call fails) and kept for stop() to throw. */
  const fail = (request: IncomingMessage, response: ServerResponse, error: unknown): void => {
    const failure = new Error(`the Azure fake failed on ${request.method} ${request.url}`, { cause: error });
    failures.push(failure);
    if (response.destroyed || response.headersSent) {
      response.destroy();
      return;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    send(response, { status: 500, body: { error: { code: 'AzureFakeInternalError', message: detail } } });
  };

  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (request, response) => {
    const done: Promise<void> = handle(request, response)
      .catch((error: unknown) => fail(request, response, error))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new Error('the Azure fake cannot listen', { cause })));
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  endpoint = `https://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping.abort();
    faults.clear();
    const closed = new Promise<void>((resolve, reject) => {
      server.close((error) =>
        error ? reject(new Error('cannot stop the Azure fake', { cause: error })) : resolve(),
      );
    });
    server.closeAllConnections();
    await closed;
    await Promise.all(inFlight);
    if (failures.length > 0) {
      throw new AggregateError(failures, `the Azure fake failed on ${failures.length} request(s)`);
    }
  };

  return {
    endpoint,
    port,
    caPem: tls.caPem,
    caller,
    counts: () => Object.fromEntries(counts),
    resetCounts: () => {
      counts.clear();
      log = [];
    },
    requests: () => [...log],
    inject: (rule) => faults.inject(rule),
    clearFaults: () => faults.clear(),
    identities: {
      get: (ref) => identities.find(ref),
      list: (subscriptionId, resourceGroup) => identities.list(subscriptionId, resourceGroup),
      create: (ref, { location, tags, ...seed }) => identities.seed(ref, location, { ...tags }, seed),
      setTags: (ref, tags) => identities.setTags(ref, { ...tags }),
      delete: (ref) => identities.delete(ref),
    },
    federatedCredentials: {
      list: (identity) => identities.credentials(identity),
      get: (identity, name) =>
        identities.credentials(identity).find((c) => c.name.toLowerCase() === name.toLowerCase()),
      put: (identity, name, { issuer, subject, audiences = [TOKEN_EXCHANGE_AUDIENCE] }) =>
        identities.putCredential(identity, name, { properties: { issuer, subject, audiences } }).resource,
      delete: (identity, name) => identities.deleteCredential(identity, name),
    },
    roleAssignments: {
      list: () => authorization.all(),
      get: (name) => authorization.find(name),
      put: (scope, name, properties) => authorization.put(scope, name, { properties }).resource,
      delete: (name) => authorization.remove(name),
    },
    directory: {
      addSubscription: (config) => tenancy.addSubscription(config),
      addResourceGroup: (subscriptionId, resourceGroup) =>
        tenancy.addResourceGroup(subscriptionId, resourceGroup),
      addPrincipal: (principalId, { tenantId, principalType = 'User', createdAt } = {}) =>
        tenancy.addPrincipal({
          principalId,
          tenantId: tenantId ?? (options.subscriptions ?? [DEFAULT_SUBSCRIPTION])[0]?.tenantId ?? '',
          principalType,
          // Default: long enough ago to be replicated.
          createdAt: createdAt ?? Number.NEGATIVE_INFINITY,
        }),
    },
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
