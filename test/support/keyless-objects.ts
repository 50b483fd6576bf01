import type { KubeClient } from '../../src/kube-api/client.js';
import { get, type Manifest, waitFor } from './kube-manifests.js';

export type Observed = Manifest & {
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    principal?: { id?: string; roleArn?: string };
    externalName?: string;
    drift?: { field: string; wanted: string; found: string }[];
    functions?: { arn: string; role?: string; state: string; message?: string }[];
    observedGeneration?: number;
    grants?: { resource: string; summary: string }[];
    expiresAt?: string;
    lastHandledReconcileAt?: string;
  };
};

export function workloadIdentity(
  name: string,
  account: string,
  spec: Record<string, unknown> = {},
  namespace = 'shop',
): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace },
    spec: { accountRef: { name: account }, subjects: [{ serviceAccount: { name, create: true } }], ...spec },
  };
}

/** `object` annotated keyless.dev/adopt: "true", asking Keyless to take over what exists in the cloud. */
export function withAdoption(object: Manifest): Manifest {
  return { ...object, metadata: { ...object.metadata, annotations: { 'keyless.dev/adopt': 'true' } } };
}

export function identityBinding(
  name: string,
  identity: string,
  grants: unknown[],
  extra: Record<string, unknown> = {},
  namespace = 'shop',
): Manifest {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'IdentityBinding',
    metadata: { name, namespace },
    spec: { identityRef: { name: identity }, grants, ...extra },
  };
}

export function conditionOf(object: Observed | undefined, type: string) {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the object's condition matches, and returns the object. */
export async function waitForCondition(
  admin: KubeClient,
  manifest: Manifest,
  type: string,
  match: { status?: string; reason?: string },
  timeoutMs = 30_000,
): Promise<Observed> {
  return waitFor(
    `${manifest.kind} ${manifest.metadata.name} ${type}=${JSON.stringify(match)}`,
    async () => {
      const object = await get<Observed>(admin, manifest);
      const condition = conditionOf(object, type);
      if (!object || !condition) return undefined;
      const ok =
        (match.status === undefined || condition.status === match.status) &&
        (match.reason === undefined || condition.reason === match.reason) &&
        object.status?.observedGeneration === (object.metadata as { generation?: number }).generation;
      return ok ? object : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the CloudAccount `name` is Ready (its credentials checked) at its generation. */
export function waitForAccountReady(admin: KubeClient, name: string): Promise<Observed> {
  return waitForCondition(
    admin,
    { apiVersion: 'keyless.dev/v1alpha1', kind: 'CloudAccount', metadata: { name } },
    'Ready',
    { status: 'True' },
  );
}

/** An Event as events.k8s.io/v1 lists it. */
export interface ListedEvent {
  reason: string;
  type: string;
  note: string;
  regarding: { kind: string; name: string };
}

/** The Events of a namespace, all of them or those with `reason`. */
export async function eventsIn(
  client: KubeClient,
  namespace: string,
  reason?: string,
): Promise<ListedEvent[]> {
  const { items } = await client.request<{ items: ListedEvent[] }>(
    'GET',
    `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
  );
  return reason === undefined ? items : items.filter((e) => e.reason === reason);
}
