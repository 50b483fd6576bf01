import type { KubeObject } from '../../src/api/index.js';
import type { KubeClient } from '../../src/kube-api/client.js';
import { identityName as cloudName } from '../../src/providers/memory/memory-provider.js';
import type { Manifest } from '../../test/support/kube-manifests.js';
import {
  apiServerWrites,
  type Cluster,
  create,
  objectWrites,
  operatorCredentials,
  startCluster,
} from '../cluster.js';
import { OperatorHost } from '../host/host-client.js';
import type { CloudEntries } from '../host/protocol.js';
import {
  bindingName,
  cloudAccount,
  identityBinding,
  identityName,
  namespaceOf,
  namespaces,
  workloadIdentity,
} from '../objects.js';
import type { BenchOptions } from '../options.js';
import { SCALE_MEMORY_LIMIT_MIB } from '../pod-heap.js';
import { pool } from '../pool.js';
import { countsSince, cpuSecondsOf, diffCpu, round } from '../proc.js';
import { convergeCloud } from '../profiles.js';
import type { ScaleResult } from '../results.js';
import { cloudReads, cloudWrites, kubeWrites, log } from './converge.js';
import { spreadOf } from './restart.js';

/**
 * The in-memory cloud's latency in this scenario: low enough that 4 cloud calls per kind re-observe
 * 2N objects within the resync interval (with 30 ms, 100,000 identities alone would take 750 s).
 */
const SCALE_LATENCY_MS = 5;
/** Each pair takes five requests to copy; more in flight than the converge's seeding. */
const SEED_CONCURRENCY = 32;
/** Cloud entries sent to the operator host at a time. */
const CLOUD_BATCH = 5000;
const CLUSTER = 'bench';
const TEMPLATE = 0;

/**
 * Scale: N WorkloadIdentities + N IdentityBindings already converged when the operator starts, as
 * in a cluster Keyless has managed for long, after an upgrade or a failover. Converging 100,000
 * pairs through the operator would take hours on this machine, so the driver writes the converged
 * state itself: the operator converges pair 0, and the driver copies what the operator wrote there
 * (the finalizers, the status, the ServiceAccount, the cloud's identity and grants) to pairs 1 to
 * N - 1, each with its own names, uids and principal. Then a new operator starts on it: informer
 * sync time, RSS, and its first pass of re-observations over the resync interval. A write in that
 * pass (to the API server or the cloud) says either that a copy is not what the operator would have
 * written or that it rewrites converged objects: both are counted, never hidden.
 */
export async function runScale(bench: BenchOptions): Promise<ScaleResult> {
  const n = bench.scaleN;
  const resyncMs = bench.resyncMs;
  const cluster = await startCluster();
  const host = OperatorHost.spawn(SCALE_MEMORY_LIMIT_MIB);
  try {
    const { admin } = cluster;
    await create(admin, cloudAccount(resyncMs));
    await host.send('init', {
      credentials: await operatorCredentials(cluster.controlPlane),
      cloud: convergeCloud(SCALE_LATENCY_MS),
      limiter: undefined,
      workers: bench.workers,
    });
    await pool(namespaces(n), bench.createConcurrency, (object) => create(admin, object));
    await create(admin, workloadIdentity(TEMPLATE));
    await create(admin, identityBinding(TEMPLATE));
    await host.send('start', {
      expect: { identities: 1, bindings: 1 },
      trackObjects: false,
      drainQuotas: false,
    });
    await host.send('waitConverged', { timeoutMs: 120_000 });
    await host.send('stop');
    const template = await readTemplate(admin, host);

    log(n, `scale: copying pair ${TEMPLATE} to ${n - 1} more pairs`);
    const seedStarted = performance.now();
    let batch: CloudEntries = { identities: [], grantSets: [] };
    const flush = async () => {
      const sending = batch;
      batch = { identities: [], grantSets: [] };
      if (sending.identities.length + sending.grantSets.length > 0) await host.send('seedCloud', sending);
    };
    const indexes = Array.from({ length: n - 1 }, (_, k) => k + 1);
    await pool(indexes, SEED_CONCURRENCY, async (i) => {
      const copy = await copyPair(admin, template, i);
      batch.identities.push(...copy.identities);
      batch.grantSets.push(...copy.grantSets);
      if (batch.identities.length >= CLOUD_BATCH) await flush();
    });
    await flush();
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(n, `scale: ${2 * n} objects converged by copy in ${seedSeconds.toFixed(1)} s`);

    return await observe(cluster, host, n, resyncMs, seedSeconds);
  } finally {
    await host.close();
    await cluster.stop();
  }
}

/** Starts the operator on the copied cluster and watches its first pass over the resync interval. */
async function observe(
  cluster: Cluster,
  host: OperatorHost,
  n: number,
  resyncMs: number,
  seedSeconds: number,
): Promise<ScaleResult> {
  const beforeStart = await host.send('memory');
  const writesBefore = await apiServerWrites(cluster);
  const cpuBefore = cpuSecondsOf(cluster.controlPlane.workDir);
  const timings = await host.send('start', {
    expect: { identities: n, bindings: n },
    trackObjects: true,
    drainQuotas: false,
  });
  const { syncedAt } = await host.send('waitSynced');
  if (syncedAt === undefined) throw new Error('scale: the host answered waitSynced with no sync time');
  const atSync = await host.send('memory');
  log(n, `scale: informers synced ${((syncedAt - timings.startedAt) / 1000).toFixed(1)} s after the start`);
  const pass = await host.send('waitObserved', {
    objects: 2 * n,
    timeoutMs: timings.startedAt + 1.25 * resyncMs - Date.now(),
  });
  const watchedUntil = Date.now();
  const afterPass = await host.send('memory');
  await host.send('stop');
  const end = await host.send('stats');
  const cpu = diffCpu(cpuSecondsOf(cluster.controlPlane.workDir), cpuBefore);
  const apiServer = countsSince(await apiServerWrites(cluster), writesBefore);
  const cloudHeap = await host.send('cloudShare');
  const passComplete = pass.observed >= 2 * n;
  log(
    n,
    `scale: ${pass.observed} of ${2 * n} objects re-observed in ${((pass.at - timings.startedAt) / 1000).toFixed(1)} s`,
  );
  const objects = Object.values(end.objects);
  const reobservations = objects.filter((o) => o.reads > 0).length;
  return {
    n,
    objects: 2 * n,
    resyncSeconds: resyncMs / 1000,
    cloudLatencyMs: SCALE_LATENCY_MS,
    seedSeconds: round(seedSeconds),
    syncSeconds: round((syncedAt - timings.startedAt) / 1000),
    passSeconds: passComplete ? round((pass.at - timings.startedAt) / 1000) : undefined,
    reobserved: pass.observed,
    spread: spreadOf(objects, timings.startedAt, resyncMs, watchedUntil, 2 * n),
    cloudCalls: end.cloudCalls,
    cloudWrites: cloudWrites(end.cloudCalls),
    readsPerReobservation: reobservations ? round(cloudReads(end.cloudCalls) / reobservations, 3) : 0,
    reconciles: end.reconciles,
    reconcileMeanMs: end.reconcileMeanMs,
    kubeRequests: end.kubeRequests,
    kubeWrites: kubeWrites(end),
    apiServerWrites: apiServer,
    objectWrites: objectWrites(apiServer),
    cpuSeconds: { operator: round((end.cpuMs.user + end.cpuMs.system) / 1000), controlPlane: cpu },
    memory: {
      beforeStart,
      atSync,
      afterPass,
      cloudHeapBytes: cloudHeap.heapBytes,
      trackedObjects: objects.length,
    },
  };
}

interface Template {
  identity: KubeObject & { status?: unknown };
  binding: KubeObject & { status?: unknown };
  serviceAccount: KubeObject;
  cloud: CloudEntries;
}

const get = <T>(admin: KubeClient, path: string) => admin.request<T>('GET', path);
const identityPath = (i: number, name = '') =>
  `/apis/keyless.dev/v1alpha1/namespaces/${namespaceOf(i)}/workloadidentities${name && `/${name}`}`;
const bindingPath = (i: number, name = '') =>
  `/apis/keyless.dev/v1alpha1/namespaces/${namespaceOf(i)}/identitybindings${name && `/${name}`}`;
const serviceAccountPath = (i: number) => `/api/v1/namespaces/${namespaceOf(i)}/serviceaccounts`;

/** What the operator wrote for the template pair, in the API server and in the cloud. */
async function readTemplate(admin: KubeClient, host: OperatorHost): Promise<Template> {
  const identity = await get<Template['identity']>(admin, identityPath(TEMPLATE, identityName(TEMPLATE)));
  const binding = await get<Template['binding']>(admin, bindingPath(TEMPLATE, bindingName(TEMPLATE)));
  const serviceAccount = await get<KubeObject>(
    admin,
    `${serviceAccountPath(TEMPLATE)}/${identityName(TEMPLATE)}`,
  );
  const cloud = await host.send('cloudEntries');
  if (cloud.identities.length !== 1 || cloud.grantSets.length !== 1)
    throw new Error(
      `scale: the template pair left ${cloud.identities.length} identities and ${cloud.grantSets.length} grant sets in the cloud, not 1 and 1`,
    );
  const expected = names(TEMPLATE).identity;
  if (cloud.identities[0]?.[0] !== expected)
    throw new Error(
      `scale: the template identity is ${cloud.identities[0]?.[0]}, not ${expected} as expected`,
    );
  const principal = cloud.identities[0]?.[1].principalId;
  if (principal !== names(TEMPLATE).principal)
    throw new Error(
      `scale: the template identity's principal is ${principal}, not ${names(TEMPLATE).principal}`,
    );
  return { identity, binding, serviceAccount, cloud };
}

/** Pair i's own names: its objects', its cloud identity's and its grant set's. */
function names(i: number) {
  const owner = (name: string) => ({ owner: { cluster: CLUSTER, namespace: namespaceOf(i), name, uid: '' } });
  const identity = cloudName(owner(identityName(i)));
  return {
    namespace: namespaceOf(i),
    identityObject: identityName(i),
    bindingObject: bindingName(i),
    identity,
    grantSet: `${identity}/${cloudName(owner(bindingName(i)))}`,
    resource: `arn:aws:s3:::bench-${i}`,
    principal: `00000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
  };
}

/**
 * A deep copy of `value` with every occurrence of each key of `tokens` replaced by its value, in
 * one pass (longest first, so a name inside a longer one is replaced with it, never twice). Plain
 * object names match only whole: `wi-1` is not a part of `wi-10`.
 */
export function substitute<T>(value: T, tokens: Map<string, string>): T {
  const keys = [...tokens.keys()].sort((a, b) => b.length - a.length);
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(keys.map((k) => `(?<![\\w-])${literal(k)}(?![\\w-])`).join('|'), 'g');
  const text = JSON.stringify(value).replace(pattern, (match) => tokens.get(match) ?? match);
  return JSON.parse(text) as T;
}

function uidOf(object: KubeObject): string {
  const uid = object.metadata.uid;
  if (!uid) throw new Error(`scale: ${object.metadata.namespace}/${object.metadata.name} has no uid`);
  return uid;
}

/** Writes pair i as the operator left the template pair; returns its cloud entries. */
async function copyPair(admin: KubeClient, template: Template, i: number): Promise<CloudEntries> {
  const from = names(TEMPLATE);
  const to = names(i);
  const tokens = new Map<string, string>([
    [from.grantSet, to.grantSet],
    [from.identity, to.identity],
    [from.resource, to.resource],
    [from.principal, to.principal],
    [from.identityObject, to.identityObject],
    [from.bindingObject, to.bindingObject],
    [from.namespace, to.namespace],
  ]);
  const fresh = (object: KubeObject) => {
    const {
      uid: _uid,
      resourceVersion: _rv,
      creationTimestamp: _ct,
      managedFields: _mf,
      generation: _g,
      ...metadata
    } = object.metadata as KubeObject['metadata'] & Record<string, unknown>;
    return substitute({ ...object, metadata, status: undefined }, tokens) as Manifest;
  };
  // Each uid is known once its object exists; what refers to it (an owner reference, a tag) after.
  const identity = (await create(admin, fresh(template.identity))) as KubeObject;
  tokens.set(uidOf(template.identity), uidOf(identity));
  const binding = (await create(admin, fresh(template.binding))) as KubeObject;
  tokens.set(uidOf(template.binding), uidOf(binding));
  await create(admin, fresh(template.serviceAccount));
  const status = (object: Template['identity']) => ({
    body: { status: substitute(object.status, tokens) },
    contentType: 'application/merge-patch+json' as const,
  });
  await admin.request('PATCH', `${identityPath(i, to.identityObject)}/status`, status(template.identity));
  await admin.request('PATCH', `${bindingPath(i, to.bindingObject)}/status`, status(template.binding));
  return substitute(template.cloud, tokens);
}
