/**
 * `startFaultProxy()`: an HTTP proxy on 127.0.0.1 in front of an emulator or fake on loopback (moto,
 * the Google Cloud fake, ...). It counts requests by operation and applies injected faults: latency,
 * canned error answers (e.g. AWS throttling), connection resets. Everything else passes through
 * unchanged (same method, path, headers and body; the Host header is kept, so SigV4 signatures made
 * for the proxy's address still verify).
 *
 * Request bodies are read in full before anything else (the operation may be in the body); response
 * bodies are streamed. Keep-alive works on both sides.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsQueryOperation } from './aws-query.js';
import { type FaultRule, FaultRules, type InjectedFault, type ProxiedRequest } from './rules.js';

export interface FaultProxyOptions {
  /** `http://127.0.0.1:PORT` (loopback only). */
  readonly target: string;
  /** Names the operation of a request, for counts and rules. Default: `awsQueryOperation`. */
  readonly operationOf?: (request: IncomingMessage, body: Buffer) => string;
  /** Sees every request as it arrives, before any rule (e.g. to record when each object was called). */
  readonly onRequest?: (request: ProxiedRequest) => void;
  /**
   * Requests whose path matches go to this other target instead (loopback only): a fake of an API
   * the emulator lacks, behind the same endpoint, counted and faulted like the rest.
   */
  readonly routes?: readonly { readonly path: RegExp; readonly target: string }[];
}

/** One request as the proxy saw it, for tests about ordering in time. */
export interface ProxiedCall {
  readonly operation: string;
  /** When the proxy had read the request (ms since the epoch). */
  readonly receivedAt: number;
  /** When its connection's response ended: answered, or closed by the client (an abort). */
  closedAt: number | undefined;
  /** True when the client got a complete answer; false when it went away first. */
  answered: boolean;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: give this to clients instead of the target. */
  readonly endpoint: string;
  readonly port: number;
  /** Requests received per operation since the start or `resetCounts()`, faulted ones included. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Every request since the start, in the order received. */
  calls(): readonly ProxiedCall[];
  /** Adds a rule after the existing ones; the first rule matching a request applies to it. */
  inject(rule: FaultRule): InjectedFault;
  clearFaults(): void;
  /** Closes every connection and stops listening. Safe to call twice. */
  stop(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Headers that describe one connection, not the message; never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  // The proxy has read the whole body already; forwarding it would make the target wait for nothing.
  'expect',
]);

function loopbackTarget(target: string): URL {
  const url = new URL(target);
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new Error(`the fault proxy only forwards to http:// on loopback, not ${target}`);
  }
  return url;
}

function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) result[name] = value;
  }
  return result;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function respond(response: http.ServerResponse, rule: FaultRule): void {
  const canned = rule.respond;
  if (!canned) throw new Error('respond() needs a rule with respond');
  const headers: OutgoingHttpHeaders = { ...canned.headers };
  if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
  const body = canned.body ?? '';
  headers['content-length'] = Buffer.byteLength(body);
  response.writeHead(canned.status, headers);
  response.end(body);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = loopbackTarget(options.target);
  const routes = (options.routes ?? []).map((r) => ({ path: r.path, target: loopbackTarget(r.target) }));
  const targetOf = (url: string | undefined): URL =>
    routes.find((r) => r.path.test(new URL(url ?? '/', 'http://proxy').pathname))?.target ?? target;
  const operationOf = options.operationOf ?? awsQueryOperation;
  const rules = new FaultRules();
  const counts = new Map<string, number>();
  const calls: ProxiedCall[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const forward = (request: IncomingMessage, response: http.ServerResponse, body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const headers = endToEndHeaders(request.headers);
      if (body.length > 0 || request.headers['content-length'] !== undefined) {
        headers['content-length'] = body.length;
      }
      const to = targetOf(request.url);
      const upstream = http.request(
        {
          host: to.hostname,
          port: to.port,
          method: request.method,
          path: request.url,
          headers,
          agent,
          signal: stopping.signal,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEndHeaders(answer.headers));
          pipeline(answer, response).then(resolve, reject);
        },
      );
      upstream.on('error', (cause) =>
        reject(new Error(`${request.method} ${to.origin}${request.url} failed`, { cause })),
      );
      // A client that goes away mid-request takes the upstream request with it.
      response.once('close', () => {
        if (!response.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });

  const handle = async (request: IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const operation = operationOf(request, body);
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const call: ProxiedCall = { operation, receivedAt: Date.now(), closedAt: undefined, answered: false };
    calls.push(call);
    response.once('close', () => {
      call.closedAt = Date.now();
      call.answered = response.writableFinished;
    });
    const proxied: ProxiedRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body,
      operation,
    };
    options.onRequest?.(proxied);
    const rule = rules.take(proxied);
    if (rule?.latencyMs) await sleep(rule.latencyMs, undefined, { signal: stopping.signal });
    // A client that gave up during the latency does not get its request passed on.
    if (request.socket.destroyed) return;
    if (rule?.reset) {
      request.socket.resetAndDestroy();
    } else if (rule?.respond) {
      respond(response, rule);
    } else {
      await forward(request, response, body);
    }
  };

  const fail = (response: http.ServerResponse, error: unknown): void => {
    // The client went away, or stop() cut the connection: nobody is left to tell.
    if (response.destroyed || stopping.signal.aborted) return;
    if (response.headersSent) {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const message =
      error instanceof Error ? `${error.message}${error.cause ? `: ${error.cause}` : ''}` : error;
    response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`fault proxy: ${message}\n`);
  };

  const server = http.createServer((request, response) => {
    const done: Promise<void> = handle(request, response)
      .catch((error: unknown) => fail(response, error))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new Error('the fault proxy cannot listen', { cause })));
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping.abort();
    rules.clear();
    const closed = new Promise<void>((resolve, reject) => {
      server.close((error) =>
        error ? reject(new Error('cannot stop the fault proxy', { cause: error })) : resolve(),
      );
    });
    server.closeAllConnections();
    await closed;
    await Promise.all(inFlight);
    agent.destroy();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    counts: () => Object.fromEntries(counts),
    resetCounts: () => counts.clear(),
    calls: () => calls,
    inject: (rule) => rules.inject(rule),
    clearFaults: () => rules.clear(),
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
