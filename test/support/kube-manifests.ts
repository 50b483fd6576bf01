import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { isNotFound, type KubeClient } from '../../src/kube-api/client.js';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Every document in the given repository-relative YAML files (or all YAML files of a folder). */
export function readManifests(...paths: string[]): Manifest[] {
  return paths.flatMap((path) => {
    const full = `${REPO}${path}`;
    const files = path.endsWith('/')
      ? readdirSync(full)
          .filter((f) => f.endsWith('.yaml'))
          .sort()
          .map((f) => `${full}${f}`)
      : [full];
    return files.flatMap(readManifestFile);
  });
}

/** Every document in one YAML file, by its absolute path. */
export function readManifestFile(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  CustomResourceDefinition: 'customresourcedefinitions',
  CloudAccount: 'cloudaccounts',
  WorkloadIdentity: 'workloadidentities',
  IdentityBinding: 'identitybindings',
  Deployment: 'deployments',
  Secret: 'secrets',
  Lease: 'leases',
  Service: 'services',
  ConfigMap: 'configmaps',
  ServiceMonitor: 'servicemonitors',
  PrometheusRule: 'prometheusrules',
};

/** The REST path of one object (or of its collection, without a name). */
export function pathOf(
  object: Pick<Manifest, 'apiVersion' | 'kind'> & { metadata: { namespace?: string } },
  name?: string,
): string {
  const plural = PLURALS[object.kind];
  if (!plural) throw new Error(`no REST path known for kind ${object.kind}`);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${base}${ns}/${plural}${name ? `/${name}` : ''}`;
}

/** Server-side apply, as `kubectl apply --server-side` would, under the given field manager. */
export async function apply(
  client: KubeClient,
  object: Manifest,
  fieldManager = 'keyless-tests',
  force = true,
): Promise<Manifest> {
  return client.request<Manifest>('PATCH', pathOf(object, object.metadata.name), {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager, force: String(force) },
  });
}

export async function remove(client: KubeClient, object: Manifest): Promise<void> {
  try {
    await client.request('DELETE', pathOf(object, object.metadata.name));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export async function get<T = Manifest>(client: KubeClient, object: Manifest): Promise<T | undefined> {
  try {
    return await client.request<T>('GET', pathOf(object, object.metadata.name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Installs crds/ (or the given CRDs) and waits until the API server serves them. */
export async function installCrds(
  client: KubeClient,
  crds = readManifests('crds/'),
  fieldManager?: string,
): Promise<void> {
  for (const crd of crds) await apply(client, crd, fieldManager);
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} Established`, async () => {
      const current = await get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        client,
        crd,
      );
      return current?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
}
