import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { apiErrorFromResponse } from './api-error.js';
import type { KubeConnection } from './connection.js';

export type ContentType =
  | 'application/json'
  | 'application/merge-patch+json'
  | 'application/json-patch+json'
  | 'application/apply-patch+yaml';

export interface RequestOptions {
  body?: unknown;
  contentType?: ContentType;
  query?: Record<string, string> | URLSearchParams;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Called once per request, for metrics and for tests that count API writes. */
export type RequestObserver = (method: string, path: string, statusCode: number) => void;

/**
 * Plain requests to the API server (list pages, get, patch, create), authenticated by the
 * connection (TLS, client certificates, tokens). Errors carry the HTTP status and the server's
 * Status message.
 */
export class KubeClient {
  private readonly observers: RequestObserver[] = [];
  /** Keep-alive agents by TLS configuration: one TLS handshake per connection, not per request. */
  private readonly agents = new Map<string, https.Agent>();
  /** The keep-alive agent of each Agent a connection handed out, for one that hands out the same. */
  private agentFor = new WeakMap<https.Agent, https.Agent>();

  constructor(private readonly connection: KubeConnection) {}

  onRequest(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { pathname, body } = await this.exchange(method, path, options, true);
    try {
      return (body ? JSON.parse(body) : undefined) as T;
    } catch (err) {
      throw new Error(`${method} ${pathname}: response is not JSON`, { cause: err });
    }
  }

  /**
   * A request whose answer the caller does not read (a patch, an Event): a success's body is
   * drained, not decoded. The API server answers a patch with the whole object (about 3 KB of JSON
   * for a WorkloadIdentity), which would be turned into a string and parsed for nothing. A
   * failure's body is read for its Status message, as `request` reads it.
   */
  async write(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    await this.exchange(method, path, options, false);
  }

  private async exchange(
    method: string,
    path: string,
    options: RequestOptions,
    readBody: boolean,
  ): Promise<{ pathname: string; body: string }> {
    const cluster = this.connection.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    const url = new URL(cluster.server + path + query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const requestOptions: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        ...(payload !== undefined
          ? {
              'Content-Type': options.contentType ?? 'application/json',
              'Content-Length': Buffer.byteLength(payload),
            }
          : {}),
      },
    };
    const deadline = new RequestDeadline(options.timeoutMs ?? 30_000, options.signal);
    let response: { statusCode: number; body: string };
    try {
      // Adds the Authorization header (tokens are re-read, so rotation is seen) and a TLS agent.
      await this.connection.applyToHTTPSOptions(requestOptions);
      if (url.protocol === 'https:')
        requestOptions.agent = this.keepAliveAgent(requestOptions.agent) ?? requestOptions.agent;
      response = await send(url, requestOptions, payload, readBody, deadline);
    } finally {
      deadline.end();
    }
    const { statusCode, body } = response;
    for (const observe of this.observers) observe(method, path, statusCode);
    if (!succeeded(statusCode)) throw apiErrorFromResponse(method, url.pathname, statusCode, body);
    return { pathname: url.pathname, body };
  }

  /**
   * client-node builds a new Agent on every call, so every request would open a new TLS
   * connection (at thousands of objects the handshakes dominate the operator's CPU). Requests share
   * one keep-alive agent per distinct TLS configuration instead; a rotated CA or client certificate
   * gets a new one.
   */
  private keepAliveAgent(fresh: https.RequestOptions['agent']): https.Agent | undefined {
    if (!(fresh instanceof https.Agent)) return undefined;
    const known = this.agentFor.get(fresh);
    if (known) return known;
    const tls = fresh.options;
    const key = createHash('sha256')
      .update(JSON.stringify([tls.servername, tls.rejectUnauthorized]))
      .update(String(tls.ca ?? ''))
      .update(String(tls.cert ?? ''))
      .update(String(tls.key ?? ''))
      .update(String(tls.pfx ?? ''))
      .digest('hex');
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new ClusterAgent({ ...tls, keepAlive: true, maxSockets: 32 });
      this.agents.set(key, agent);
    }
    this.agentFor.set(fresh, agent);
    return agent;
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.agentFor = new WeakMap();
  }
}

/**
 * A keep-alive agent made for one TLS configuration (KubeClient keeps one per configuration), so
 * its sockets' names need only the address. https.Agent's name strings together every TLS option,
 * the CA and client certificate among them, and it builds that name again for every request.
 */
export class ClusterAgent extends https.Agent {
  override getName(options?: https.RequestOptions): string {
    return http.Agent.prototype.getName.call(this, options);
  }
}

function succeeded(statusCode: number): boolean {
  return statusCode >= 200 && statusCode <= 299;
}

/**
 * Ends a request that outlives its time or its caller's signal, by destroying it with the reason.
 * One timer and one listener, both dropped when the request settles. http.request's `signal`
 * option would cost more on every request: end-of-stream's listeners to take its own listener
 * off again, and an AbortSignal.any of the caller's signal and a timeout's. The time bounds the
 * whole request: it counts from before the connection adds its credentials.
 */
class RequestDeadline {
  /** Why the request is to end, once it is. */
  reason: unknown;
  private request: http.ClientRequest | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => this.cancel(this.signal?.reason);

  constructor(
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    // Cleared once the response is in: AbortSignal.timeout's cannot be, so each request would
    // leave one behind to fire (and build a TimeoutError) long after it was answered.
    this.timer = setTimeout(
      () => this.cancel(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    this.timer.unref();
    if (signal?.aborted) this.cancel(signal.reason);
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The request to end if the deadline passes or the signal aborts while it is out. */
  watch(request: http.ClientRequest): void {
    this.request = request;
  }

  end(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.request = undefined;
  }

  private cancel(reason: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.request?.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  }
}

/** Sends one request; a success's body is read only when `readBody` (else it is drained). */
function send(
  url: URL,
  options: https.RequestOptions,
  payload: string | undefined,
  readBody: boolean,
  deadline: RequestDeadline,
): Promise<{ statusCode: number; body: string }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) =>
      reject(new Error(`${options.method} ${url.pathname} failed`, { cause: err }));
    if (deadline.reason !== undefined) {
      failed(deadline.reason);
      return;
    }
    const req = transport.request(url, options, (res) => {
      const statusCode = res.statusCode ?? 0;
      res.on('error', (err) =>
        reject(new Error(`${options.method} ${url.pathname}: reading the response failed`, { cause: err })),
      );
      if (!readBody && succeeded(statusCode)) {
        res.on('end', () => resolve({ statusCode, body: '' }));
        res.resume();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', failed);
    deadline.watch(req);
    req.end(payload);
  });
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 409;
}
