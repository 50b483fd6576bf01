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
import { Authorization } from './authorization.js';
import * as errors from './errors.js';
import { ArmError } from './errors.js';
import { type AzureFault, AzureFaultRules, actionOf } from './faults.js';
import { GRAPH_OPERATION, Graph } from './graph.js';
import { type ArmResponse, AsyncOperations, Handlers } from './handlers.js';
import { Identities } from './identities.js';
import { checkApiVersion, type ParsedRequest, parseRequest } from './routing.js';
import { Sites } from './sites.js';
import { outOfBandState } from './state.js';
import { Tenancy } from './tenancy.js';
import { generateServingTls } from './tls.js';
import {
  type AzureCaller,
  type AzureFake,
  type AzureFakeOptions,
  DEFAULT_SUBSCRIPTION,
  type RecordedRequest,
} from './types.js';

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
  const subscriptions = options.subscriptions ?? [DEFAULT_SUBSCRIPTION];
  const defaultTenantId = subscriptions[0]?.tenantId ?? DEFAULT_SUBSCRIPTION.tenantId;
  const tenancy = new Tenancy(subscriptions, now, options.principalReplicationMs ?? 0);
  const identities = new Identities(tenancy, now, options.federatedCredentialLimit ?? 20);
  const authorization = new Authorization(tenancy, now, {
    roleAssignmentLimit: options.roleAssignmentLimit ?? 4000,
    principalTypeSkipsLookup: options.principalTypeSkipsLookup ?? true,
  });
  const sites = new Sites(tenancy, (resourceId) => {
    // /subscriptions/S/resourceGroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/NAME
    const s = resourceId.split('/');
    const shape = [
      '',
      'subscriptions',
      undefined,
      'resourcegroups',
      undefined,
      'providers',
      'microsoft.managedidentity',
      'userassignedidentities',
    ];
    if (s.length !== 9 || shape.some((want, i) => want !== undefined && s[i]?.toLowerCase() !== want))
      return undefined;
    const found = identities.find({
      subscriptionId: s[2] ?? '',
      resourceGroup: s[4] ?? '',
      name: s[8] ?? '',
    });
    return found && { principalId: found.properties.principalId, clientId: found.properties.clientId };
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
    sites,
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

  const graph = new Graph();

  /** Microsoft Graph, on the same endpoint: bearer token, then its own answers. */
  const handleGraph = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    counts.set(GRAPH_OPERATION, (counts.get(GRAPH_OPERATION) ?? 0) + 1);
    let result: ArmResponse;
    try {
      await readBody(request);
      authenticate(request, acceptToken);
      result = graph.answer(method, request.url ?? '/');
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      result = errorAnswer(error);
    }
    log.push({
      method,
      path: (request.url ?? '/').split('?')[0] ?? '/',
      apiVersion: undefined,
      operation: GRAPH_OPERATION,
      status: result.status,
    });
    if (!response.destroyed) send(response, result);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (graph.isGraphPath(request.url ?? '/')) return handleGraph(request, response);
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
    graph: graph.state(),
    ...outOfBandState(identities, authorization, tenancy, defaultTenantId, sites),
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
