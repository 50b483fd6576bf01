import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { KubeConnection } from './connection.js';

/** Where the kubelet mounts a pod's ServiceAccount token and the cluster's CA. */
export const SERVICE_ACCOUNT_DIRECTORY = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The kubelet rotates projected tokens well before they expire; a minute old is fresh enough (client-go re-reads as often). */
const REREAD_AFTER_MS = 60_000;
/** After a failed re-read, the token read before is used this long before the mount is read again. */
const RETRY_FAILED_READ_MS = 5_000;

export interface ServiceAccountConnectionOptions {
  /** The API server's URL. */
  server: string;
  /** Holds `token` and `ca.crt`. */
  directory?: string;
  now?: () => number;
  /**
   * Told when a re-read of the mount fails while a token read before is at hand: that token is
   * used meanwhile, as client-go does (the kubelet rotates it long before it expires), and the
   * mount is read again after RETRY_FAILED_READ_MS. Without it, a failed re-read fails the request.
   */
  onRereadFailed?: (err: Error) => void;
}

/** The in-cluster API server, from the environment the kubelet gives every pod. */
export function inClusterServer(apiServer: { host: string; port: string }): string {
  const host = isIPv6(apiServer.host) ? `[${apiServer.host}]` : apiServer.host;
  return `https://${host}:${apiServer.port}`;
}

/**
 * The operator's own connection in its pod: the ServiceAccount token the kubelet mounts, trusted
 * against the mounted CA. It is what client-node's `loadFromCluster` does, without loading
 * client-node and every authentication plugin a kubeconfig may name (about 12 MB of memory a
 * running operator never uses).
 */
export class ServiceAccountConnection implements KubeConnection {
  private readonly directory: string;
  private readonly now: () => number;
  private cached: { token: string; ca: Buffer; agent: https.Agent; rereadAt: number } | undefined;

  constructor(private readonly options: ServiceAccountConnectionOptions) {
    this.directory = options.directory ?? SERVICE_ACCOUNT_DIRECTORY;
    this.now = options.now ?? Date.now;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.options.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    const { token, agent } = await this.read();
    options.agent = agent;
    options.headers = { ...options.headers, Authorization: `Bearer ${token}` };
  }

  private async read(): Promise<{ token: string; agent: https.Agent }> {
    const cached = this.cached;
    if (cached && this.now() < cached.rereadAt) return cached;
    const readAt = this.now();
    try {
      const { token, ca } = await this.readMount();
      // The same Agent while the CA is the same: KubeClient finds its keep-alive agent by it.
      const agent = cached?.ca.equals(ca) ? cached.agent : new https.Agent({ ca });
      this.cached = { token, ca, agent, rereadAt: readAt + REREAD_AFTER_MS };
      return this.cached;
    } catch (err) {
      const told = this.options.onRereadFailed;
      if (!cached || !told) throw err;
      this.cached = { ...cached, rereadAt: readAt + RETRY_FAILED_READ_MS };
      told(err as Error);
      return this.cached;
    }
  }

  private async readMount(): Promise<{ token: string; ca: Buffer }> {
    let token: string;
    let ca: Buffer;
    try {
      [token, ca] = await Promise.all([
        readFile(`${this.directory}/token`, 'utf8'),
        readFile(`${this.directory}/ca.crt`),
      ]);
    } catch (err) {
      throw new Error(`reading the ServiceAccount token and CA in ${this.directory} failed`, { cause: err });
    }
    token = token.trim();
    if (!token) throw new Error(`the ServiceAccount token ${this.directory}/token is empty`);
    return { token, ca };
  }
}
