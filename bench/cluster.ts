import https from 'node:https';
import { KubeClient } from '../src/kube-api/client.js';
import { type ControlPlane, startControlPlane } from '../test/support/control-plane/launcher.js';
import { type Manifest, pathOf } from '../test/support/kube-manifests.js';
import { installKeyless, operatorKubeConfig } from '../test/support/operator-harness.js';
import type { OperatorCredentials } from './host/protocol.js';
import { ACCOUNT, cloudAccount, identityBinding, namespaces, workloadIdentity } from './objects.js';
import { pool } from './pool.js';

export interface Cluster {
  controlPlane: ControlPlane;
  admin: KubeClient;
  /** kube-apiserver's gitVersion. */
  version: string;
  stop(): Promise<void>;
}

/** A fresh etcd + kube-apiserver with Keyless's CRDs and RBAC installed. */
export async function startCluster(): Promise<Cluster> {
  const controlPlane = await startControlPlane();
  const admin = new KubeClient(controlPlane.kubeConfig());
  try {
    await installKeyless(admin);
    const { gitVersion } = await admin.request<{ gitVersion: string }>('GET', '/version');
    return { controlPlane, admin, version: gitVersion, stop: () => controlPlane.stop() };
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }
}

export async function operatorCredentials(controlPlane: ControlPlane): Promise<OperatorCredentials> {
  const kubeConfig = await operatorKubeConfig(controlPlane);
  const token = kubeConfig.getCurrentUser()?.token;
  if (!token) throw new Error('the operator kubeconfig has no token');
  return { server: controlPlane.server, caPem: controlPlane.caPem, token };
}

export interface SeedResult {
  objects: number;
  seconds: number;
}

/**
 * Creates the CloudAccount, the namespaces, N WorkloadIdentities and N IdentityBindings by plain
 * POSTs at a bounded concurrency, before any operator runs.
 */
export async function seed(
  admin: KubeClient,
  n: number,
  concurrency: number,
  resyncMs: number,
): Promise<SeedResult> {
  const started = performance.now();
  await create(admin, cloudAccount(resyncMs));
  await seedPairs(admin, n, concurrency);
  return { objects: 2 * n, seconds: (performance.now() - started) / 1000 };
}

/**
 * The namespaces, N WorkloadIdentities and N IdentityBindings of `seed`, for an account already
 * there; `namespaces: false` when an earlier seeding's namespaces are still there.
 */
export async function seedPairs(
  admin: KubeClient,
  n: number,
  concurrency: number,
  { namespaces: withNamespaces = true } = {},
): Promise<SeedResult> {
  const started = performance.now();
  if (withNamespaces) await pool(namespaces(n), concurrency, (object) => create(admin, object));
  const indexes = Array.from({ length: n }, (_, i) => i);
  await pool(indexes, concurrency, (i) => create(admin, workloadIdentity(i)));
  await pool(indexes, concurrency, (i) => create(admin, identityBinding(i)));
  return { objects: 2 * n, seconds: (performance.now() - started) / 1000 };
}

export function create(admin: KubeClient, object: Manifest): Promise<unknown> {
  return admin.request('POST', pathOf(object), { body: object });
}

/**
 * Sets the CloudAccount's spec.rateLimits: `qps` and a burst of as many, for reads and for writes;
 * `undefined` removes them.
 */
export async function setRateLimits(admin: KubeClient, qps: number | undefined): Promise<void> {
  const rate = { qps, burst: qps };
  await admin.request('PATCH', `/apis/keyless.dev/v1alpha1/cloudaccounts/${ACCOUNT}`, {
    // A merge patch's null removes the field: the provider's defaults again.
    body: { spec: { rateLimits: qps === undefined ? null : { reads: rate, writes: rate } } },
    contentType: 'application/merge-patch+json',
  });
}

/** Changes the CloudAccount's resyncInterval (a spec change: the operator records it in status). */
export async function setResync(admin: KubeClient, resyncMs: number): Promise<void> {
  await admin.request('PATCH', `/apis/keyless.dev/v1alpha1/cloudaccounts/${ACCOUNT}`, {
    body: { spec: { resyncInterval: `${Math.round(resyncMs / 1000)}s` } },
    contentType: 'application/merge-patch+json',
  });
}

/** `apiserver_request_total` write counts by "VERB resource[/subresource]". */
export type ApiServerWrites = Record<string, number>;

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);
/** Written by the API server itself (its identity Lease), not by any client. */
const IGNORED_RESOURCES = new Set(['leases']);

/** The API server's own count of writes, from its /metrics (read as the admin). */
export async function apiServerWrites(cluster: Cluster): Promise<ApiServerWrites> {
  const text = await rawGet(cluster.controlPlane, '/metrics');
  const writes: ApiServerWrites = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    const verb = labels.verb ?? '';
    const resource = labels.resource ?? '';
    if (!WRITE_VERBS.has(verb) || IGNORED_RESOURCES.has(resource)) continue;
    const key = `${verb} ${resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    writes[key] = (writes[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return writes;
}

/**
 * Writes to anything but the CloudAccount, whose status records what each start's account check
 * found (and the benchmark's own changes to it).
 */
export function objectWrites(writes: ApiServerWrites): number {
  return Object.entries(writes)
    .filter(([what]) => !what.includes('cloudaccounts'))
    .reduce((sum, [, count]) => sum + count, 0);
}

async function rawGet(controlPlane: ControlPlane, path: string): Promise<string> {
  const kubeConfig = controlPlane.kubeConfig();
  const options: https.RequestOptions = { method: 'GET' };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(controlPlane.server + path), options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
