import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { FULL_ACCESS, restrictTo } from '../views/index.js';
import type { AccessOutcome, AccessReviewer } from './access-review.js';
import { answer } from './api.js';
import { API_PREFIX } from './api-types.js';
import type { Asset } from './assets.js';
import type { LiveReadModel } from './live-model.js';

export interface DashboardServerOptions {
  host: string;
  port: number;
  live: LiveReadModel;
  /** Undefined: no token asked for, everything shown (loopback only). */
  reviewer: AccessReviewer | undefined;
  assets: Map<string, Asset>;
  clock: Clock;
  logger: Logger;
  /** A comment line on each event stream this often, so proxies keep it open. */
  heartbeatMs?: number;
}

export interface RunningDashboard {
  readonly port: number;
  close(): Promise<void>;
}

/** Scripts, styles and data from this origin only; nothing inline, nothing framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The read-only dashboard: its static assets, the JSON API under /api/v1 and the event stream
 * /api/v1/watch, on a listener of its own. With a reviewer, every API request needs a bearer token
 * and sees only what its user may list; the assets hold no data and are served to anyone.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  const { live, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streams = new Set<() => void>();
  const loopbackOnly = options.reviewer === undefined;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

  const refuse = (res: ServerResponse, outcome: Exclude<AccessOutcome, { kind: 'granted' }>) => {
    if (outcome.kind === 'unauthenticated') {
      return send(res, 401, { error: outcome.message }, { 'WWW-Authenticate': 'Bearer realm="keyless"' });
    }
    if (outcome.kind === 'forbidden') {
      return send(res, 403, {
        error: `${outcome.user} may not list CloudAccounts, WorkloadIdentities or IdentityBindings anywhere`,
      });
    }
    return send(
      res,
      429,
      { error: 'too many token reviews; try again shortly' },
      {
        'Retry-After': String(outcome.retryAfterSeconds),
      },
    );
  };

  /** What the request's caller may see, or the refusal already sent. */
  const accessOf = async (req: IncomingMessage): Promise<AccessOutcome> => {
    if (!options.reviewer) return { kind: 'granted', user: '', access: FULL_ACCESS };
    const namespaces = (views: { namespace: string }[]) => [...new Set(views.map((v) => v.namespace))];
    return options.reviewer.review(req.headers.authorization, () => {
      const model = live.model();
      return { WorkloadIdentity: namespaces(model.identities), IdentityBinding: namespaces(model.bindings) };
    });
  };

  const serveApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ) => {
    if (!live.synced())
      return send(res, 503, { error: 'the caches have not synced yet' }, { 'Retry-After': '1' });
    const outcome = await accessOf(req);
    if (outcome.kind !== 'granted') return refuse(res, outcome);
    if (path === '/watch') return watch(req, res);
    const revision = live.revision;
    const result = answer(restrictTo(live.model(), outcome.access), path, query, {
      revision,
      ...(outcome.user ? { user: outcome.user } : {}),
    });
    return send(res, result.status, result.body);
  };

  const watch = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\nevent: revision\ndata: ${JSON.stringify({ revision: live.revision })}\n\n`);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      cancelHeartbeat();
      streams.delete(close);
      res.end();
    };
    // Each change is announced only while the token still passes its (cached) review.
    const unsubscribe = live.subscribe((revision) => {
      accessOf(req).then(
        (outcome) => {
          if (closed) return;
          if (outcome.kind !== 'granted') {
            res.write(`event: unauthorized\ndata: ${JSON.stringify({ error: outcome.kind })}\n\n`);
            return close();
          }
          res.write(`event: revision\ndata: ${JSON.stringify({ revision })}\n\n`);
        },
        (err: unknown) => logger.warn({ err }, 'could not review a dashboard stream; it stays open'),
      );
    });
    let cancelHeartbeat = () => {};
    const beat = () => {
      res.write(': keep-alive\n\n');
      cancelHeartbeat = options.clock.setTimeout(beat, heartbeatMs);
    };
    cancelHeartbeat = options.clock.setTimeout(beat, heartbeatMs);
    streams.add(close);
    req.once('close', close);
  };

  const serveAsset = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const asset = options.assets.get(path === '/' ? '/index.html' : path);
    if (!asset) {
      if (options.assets.size === 0 && (path === '/' || path === '/index.html')) {
        res.writeHead(503, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        return res.end(
          "The dashboard's assets are not built: run npm run build. The JSON API is at /api/v1.\n",
        );
      }
      return send(res, 404, { error: `${path} not found` });
    }
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': asset.contentType,
      ETag: asset.etag,
      Vary: 'Accept-Encoding',
      'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      return res.end();
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, { ...headers, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : gzip ? asset.gzipped : asset.body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) {
      // Without a token, only a browser that asked for this machine by name gets an answer: a page
      // elsewhere cannot reach the dashboard through DNS rebinding.
      return send(res, 403, {
        error: 'without --dashboard-auth=token, the dashboard answers to localhost only',
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { error: 'the dashboard is read-only' }, { Allow: 'GET, HEAD' });
    }
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      serveApi(req, res, url.pathname.slice(API_PREFIX.length), url.searchParams).catch((err: unknown) => {
        logger.error({ err, path: url.pathname }, 'dashboard request failed');
        if (!res.headersSent)
          send(res, 503, { error: 'the dashboard could not answer; see the operator log' });
        else res.end();
      });
      return;
    }
    serveAsset(req, res, url.pathname);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`cannot listen on ${options.host}:${options.port} for the dashboard`, { cause: err })),
    );
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { host: options.host, port, auth: options.reviewer ? 'token' : 'none' },
    'serving the dashboard and /api/v1',
  );
  if (options.assets.size === 0)
    logger.warn("the dashboard's assets are not built (npm run build); serving /api/v1 only");
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const close of [...streams]) close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A Host header naming this machine: localhost, 127.x.x.x or [::1], with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}
