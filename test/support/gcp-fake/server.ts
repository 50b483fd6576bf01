/**
 * `startGcpFake()`: an HTTP server on 127.0.0.1 that answers the REST calls Keyless's Google Cloud
 * clients make (IAM v1 service accounts, Resource Manager v3 project policies, IAM v2 deny policies)
 * as Google does, from the state in a `GcpStore`. Every request is counted by operation; then, in
 * this order: no bearer token is 401, an injected fault answers, a denied permission is 403, and the
 * operation's handler answers.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HandlerContext } from './context.js';
import { GcpError, notFound, permissionDenied, serviceDisabled, unauthenticated } from './errors.js';
import { type GcpFaultRule, GcpFaults, type InjectedFault } from './faults.js';
import { HANDLERS } from './handlers.js';
import { parseJsonBody } from './json.js';
import { type GcpOperation, type MatchedRoute, matchRoute, UNKNOWN_OPERATION } from './routing.js';
import { type GcpFakeState, stateApi } from './state.js';
import { type GcpProject, GcpStore } from './store.js';

export interface GcpFakeOptions {
  /** The projects that exist. More can be added with `fake.state.addProject()`. */
  readonly projects?: readonly GcpProject[];
  /**
   * For this long after its creation through the API, a service account is invisible: get, patch,
   * delete, getIamPolicy and setIamPolicy on it answer 404, lists leave it out, and granting to it
   * is 400 `Service account ... does not exist.` (IAM is eventually consistent). Default 0.
   */
  readonly consistencyDelayMs?: number;
  /**
   * How many polls an IAM v2 operation (deny policy create, update, delete) takes: 0 (default)
   * answers `done: true` at once; n answers `done: false` and is done on the n-th poll.
   */
  readonly operationPolls?: number;
  /** The bearer tokens accepted; default: any. A request without one is always 401. */
  readonly accessTokens?: readonly string[];
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

export interface GcpFake {
  /** `http://127.0.0.1:PORT`: the one endpoint of all three APIs (see `gcpClientOptions`). */
  readonly endpoint: string;
  readonly port: number;
  /** Read and write the fake's contents directly (not counted, never faulted). */
  readonly state: GcpFakeState;
  /** Requests received per operation since the start or `resetCounts()`, rejected ones included. */
  counts(): Partial<Record<GcpOperation | typeof UNKNOWN_OPERATION, number>>;
  /** The requests received since the start or `resetCounts()`, in order, with the status answered. */
  requests(): readonly LoggedRequest[];
  /** Clears `counts()` and `requests()`. */
  resetCounts(): void;
  /** Adds a fault rule after the existing ones; the first rule matching a request answers it. */
  inject(rule: GcpFaultRule): InjectedFault;
  /** The next `times` requests (of `operation`, or any) are 429 RESOURCE_EXHAUSTED with `Retry-After`. */
  throttleNext(times: number, retryAfterSeconds: number, operation?: GcpOperation): InjectedFault;
  /** The next `times` requests (of `operation`, or any) fail with `status` (default 503 UNAVAILABLE). */
  failNext(times: number, status?: number, operation?: GcpOperation): InjectedFault;
  /**
   * From now on the caller lacks `permission` (e.g. `iam.serviceAccounts.create`): operations that
   * need it are 403 PERMISSION_DENIED naming it, and testIamPermissions leaves it out.
   */
  denyPermission(permission: string): void;
  /**
   * From now on `api` (e.g. `policyanalyzer.googleapis.com`) is not enabled: its operations are 403
   * PERMISSION_DENIED with ErrorInfo reason SERVICE_DISABLED, as Google answers.
   */
  disableApi(api: string): void;
  enableApi(api: string): void;
  allowPermission(permission: string): void;
  /** Removes every fault rule, permission denial and disabled API. */
  clearFaults(): void;
  setConsistencyDelay(ms: number): void;
  setOperationPolls(polls: number): void;
  /** Failures of the fake itself (answered 500 INTERNAL); a test should expect none. */
  internalErrors(): readonly Error[];
  /** Empties everything but the projects, and clears counts, faults and internal errors. */
  reset(): void;
  /** Closes every connection and stops listening. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LoggedRequest {
  readonly method: string;
  /** Path and query string, exactly as sent (still percent-encoded). */
  readonly url: string;
  readonly operation: GcpOperation | typeof UNKNOWN_OPERATION;
  /** The HTTP status answered. */
  readonly status: number;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const errorAnswer = (error: GcpError): Answer => ({
  status: error.httpStatus,
  body: error.body(),
  headers: error.headers,
});

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...answer.headers,
  });
  response.end(text);
}

function checkNonNegativeInteger(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 0))
    throw new Error(`gcp-fake: ${name} must be an integer >= 0, not ${value}`);
  return value;
}

export async function startGcpFake(options: GcpFakeOptions = {}): Promise<GcpFake> {
  const store = new GcpStore({
    now: options.now ?? Date.now,
    consistencyDelayMs: checkNonNegativeInteger('consistencyDelayMs', options.consistencyDelayMs ?? 0),
    operationPolls: checkNonNegativeInteger('operationPolls', options.operationPolls ?? 0),
  });
  for (const project of options.projects ?? []) store.addProject(project);
  const faults = new GcpFaults();
  const counts = new Map<string, number>();
  const log: LoggedRequest[] = [];
  const internalErrors: Error[] = [];
  const inFlight = new Set<Promise<void>>();
  const accessTokens = options.accessTokens ? new Set(options.accessTokens) : undefined;

  const authenticate = (request: IncomingMessage, api: string): void => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw unauthenticated(true, api);
    if (accessTokens && !accessTokens.has(token)) throw unauthenticated(false, api);
  };

  const answer = (request: IncomingMessage, matched: MatchedRoute, text: string): Answer => {
    const { route } = matched;
    authenticate(request, route.api);
    const fault = faults.take(
      { method: route.method, url: request.url ?? '/', operation: route.operation, body: text },
      route.api,
    );
    if (fault) throw fault;
    if (faults.isDisabled(route.api)) {
      const consumer = store.project(matched.params[0] ?? '') ?? store.projects()[0];
      throw serviceDisabled(route.api, consumer?.projectNumber ?? '0');
    }
    if (route.permission && faults.isDenied(route.permission)) {
      const [first, second, third] = matched.params;
      const resource =
        route.api === 'cloudresourcemanager.googleapis.com'
          ? `//cloudresourcemanager.googleapis.com/projects/${first}`
          : route.api === 'run.googleapis.com'
            ? `projects/${first}/locations/${second}/${route.operation === 'runOperations.get' ? 'operations' : 'services'}/${third}`
            : undefined;
      throw permissionDenied(route.permission, route.api, resource);
    }
    const context: HandlerContext = {
      params: matched.params,
      query: matched.query,
      body: parseJsonBody(text),
      store,
      enumsAsInts: (matched.query.get('$alt') ?? '').includes('enum-encoding=int'),
      isDenied: (permission) => faults.isDenied(permission),
    };
    return { status: 200, body: HANDLERS[route.operation](context) };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const text = await readBody(request);
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const matched = matchRoute(method, url);
    const operation: LoggedRequest['operation'] = matched?.route.operation ?? UNKNOWN_OPERATION;
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const entry: { -readonly [K in keyof LoggedRequest]: LoggedRequest[K] } = {
      method,
      url,
      operation,
      status: 500,
    };
    log.push(entry);
    let result: Answer;
    if (!matched) {
      const path = new URL(url, 'http://gcp-fake').pathname;
      result = errorAnswer(notFound(`gcp-fake does not implement ${method} ${path}.`));
    } else {
      try {
        result = answer(request, matched, text);
      } catch (error) {
        if (!(error instanceof GcpError)) throw error;
        result = errorAnswer(error);
      }
    }
    entry.status = result.status;
    send(response, result);
  };

  /** A bug in the fake: recorded for `internalErrors()` and answered 500, never swallowed silently. */
  const fail = (response: ServerResponse, error: unknown): void => {
    const failure = error instanceof Error ? error : new Error(String(error));
    internalErrors.push(failure);
    if (response.headersSent) {
      response.destroy(failure);
      return;
    }
    if (response.destroyed) return;
    const internal = new GcpError(500, `gcp-fake internal error: ${failure.stack ?? failure.message}`);
    send(response, errorAnswer(internal));
  };

  const server = http.createServer((request, response) => {
    const done: Promise<void> = handle(request, response)
      .catch((error: unknown) => fail(response, error))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new Error('the gcp fake cannot listen', { cause })));
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve, reject) => {
      server.close((error) =>
        error ? reject(new Error('cannot stop the gcp fake', { cause: error })) : resolve(),
      );
    });
    server.closeAllConnections();
    await closed;
    await Promise.all(inFlight);
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    state: stateApi(store),
    counts: () => Object.fromEntries(counts),
    requests: () => log.map((entry) => ({ ...entry })),
    resetCounts: () => {
      counts.clear();
      log.length = 0;
    },
    inject: (rule) => faults.inject(rule),
    throttleNext: (times, retryAfterSeconds, operation) =>
      faults.inject({ times, status: 429, retryAfterSeconds, ...(operation ? { operation } : {}) }),
    failNext: (times, status = 503, operation) =>
      faults.inject({ times, status, ...(operation ? { operation } : {}) }),
    denyPermission: (permission) => faults.deny(permission),
    allowPermission: (permission) => faults.allow(permission),
    disableApi: (api) => faults.disableApi(api),
    enableApi: (api) => faults.enableApi(api),
    clearFaults: () => faults.clear(),
    setConsistencyDelay: (ms) => {
      store.consistencyDelayMs = checkNonNegativeInteger('consistencyDelayMs', ms);
    },
    setOperationPolls: (polls) => {
      store.operationPolls = checkNonNegativeInteger('operationPolls', polls);
    },
    internalErrors: () => [...internalErrors],
    reset: () => {
      store.reset();
      counts.clear();
      log.length = 0;
      faults.clear();
      internalErrors.length = 0;
    },
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
