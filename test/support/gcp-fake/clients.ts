/**
 * The Google clients Keyless uses, pointed at the fake (or at any endpoint): the one place that knows
 * which option of which client an endpoint maps to. The production provider builds its own clients
 * from a CloudAccount's `spec.endpoint` with `gcpClientOptions()`'s mapping:
 *
 *   endpoint http://127.0.0.1:PORT
 *     IAM v1 (@googleapis/iam):               iam({ version: 'v1', rootUrl: 'http://127.0.0.1:PORT/', auth })
 *     Resource Manager, IAM v2 (gax, REST):   { apiEndpoint: '127.0.0.1', port: PORT, protocol: 'http',
 *                                               fallback: true, authClient }
 *
 * `port` must be given on its own: gax ignores a port inside `apiEndpoint` and dials 443.
 */
import { v2 } from '@google-cloud/iam';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { auth, iam, type iam_v1 } from '@googleapis/iam';
import type { GcpFake } from './server.js';

/** google-auth-library's OAuth2Client (one copy in node_modules, reached through @googleapis/iam). */
export type OAuth2Client = InstanceType<typeof auth.OAuth2>;

/** Options for `iam({ version: 'v1', ...options.iam })` and `new ProjectsClient(options.gax)` / `new v2.PoliciesClient(options.gax)`. */
export interface GcpClientOptions {
  readonly iam: {
    /** `PROTOCOL://HOST:PORT/`; the client appends `v1/projects/...`. */
    readonly rootUrl: string;
    readonly auth: OAuth2Client;
  };
  readonly gax: {
    /** The host alone. */
    readonly apiEndpoint: string;
    readonly port: number;
    readonly protocol: 'http' | 'https';
    /** REST (HTTP/1.1 + JSON) instead of gRPC. */
    readonly fallback: true;
    readonly authClient: OAuth2Client;
  };
}

/** An auth client that sends `Authorization: Bearer <accessToken>` and never refreshes. */
export function staticTokenClient(accessToken = 'test'): OAuth2Client {
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: accessToken });
  return client;
}

/**
 * The client options for one endpoint serving all three APIs: `http(s)://HOST[:PORT]` with no path
 * (gax clients cannot take a path prefix). Without a port: 443 for https, 80 for http.
 */
export function gcpClientOptions(
  endpoint: string,
  authClient: OAuth2Client = staticTokenClient(),
): GcpClientOptions {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`a Google Cloud endpoint must be http:// or https://, not ${endpoint}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(
      `a Google Cloud endpoint is a scheme, host and port only (no path or query), not ${endpoint}`,
    );
  }
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  return {
    iam: { rootUrl: `${protocol}://${url.hostname}:${port}/`, auth: authClient },
    gax: { apiEndpoint: url.hostname, port, protocol, fallback: true, authClient },
  };
}

export interface GcpClients {
  /** IAM v1: `iam.projects.serviceAccounts.*`. */
  readonly iam: iam_v1.Iam;
  /** Resource Manager v3: getIamPolicy / setIamPolicy / getProject / testIamPermissions. */
  readonly projects: ProjectsClient;
  /** IAM v2 deny policies. */
  readonly policies: v2.PoliciesClient;
  readonly options: GcpClientOptions;
  /** Closes the gax clients. */
  close(): Promise<void>;
}

export interface GcpClientsOptions {
  /** Default `test`. Ignored with `authClient`. */
  readonly accessToken?: string;
  readonly authClient?: OAuth2Client;
  /**
   * The IAM v1 client (gaxios) retries GET, PUT and DELETE on 408, 429 and 5xx by itself, 3 times
   * over about 2 s, ignoring Retry-After. false turns that off. Default true, as the SDK. (The gax
   * clients never retry an error answer on the REST transport: see README.)
   */
  readonly retries?: boolean;
}

/** The three clients, set up for the fake (or an endpoint) with a static bearer token. */
export function gcpClients(target: GcpFake | string, options: GcpClientsOptions = {}): GcpClients {
  const endpoint = typeof target === 'string' ? target : target.endpoint;
  const clientOptions = gcpClientOptions(
    endpoint,
    options.authClient ?? staticTokenClient(options.accessToken),
  );
  const projects = new ProjectsClient(clientOptions.gax);
  const policies = new v2.PoliciesClient(clientOptions.gax);
  return {
    iam: iam({ version: 'v1', ...clientOptions.iam, ...(options.retries === false ? { retry: false } : {}) }),
    projects,
    policies,
    options: clientOptions,
    close: async () => {
      await Promise.all([projects.close(), policies.close()]);
    },
  };
}
