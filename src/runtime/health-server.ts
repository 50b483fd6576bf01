import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** A named check: undefined when healthy, else why not. */
export type Check = () => string | undefined;

export interface HealthServerOptions {
  host: string;
  port: number;
  liveness: Record<string, Check>;
  readiness: Record<string, Check>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  logger: Logger;
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** /healthz, /readyz and /metrics on one port. */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answerChecks = (checks: Record<string, Check>) => {
      const failing = Object.entries(checks).flatMap(([name, check]) => {
        const problem = check();
        return problem ? [`[-]${name} failed: ${problem}`] : [];
      });
      res.writeHead(failing.length === 0 ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(failing.length === 0 ? 'ok\n' : `${failing.join('\n')}\n`);
    };
    if (path === '/healthz' || path === '/livez') return answerChecks(options.liveness);
    if (path === '/readyz') return answerChecks(options.readiness);
    if (path === '/metrics') {
      options.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType });
          res.end(body);
        },
        (err: unknown) => {
          options.logger.error({ err }, 'rendering metrics failed');
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`cannot listen on ${options.host}:${options.port}`, { cause: err })),
    );
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'serving /healthz, /readyz and /metrics');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
