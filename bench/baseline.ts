import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../src/api/index.js';
import { MemoryProvider } from '../src/providers/memory/memory-provider.js';
import type { GrantRequest, IdentityObservation } from '../src/providers/provider.js';
import { accountRequest, identityRequest, ownerOf } from '../src/reconcilers/requests.js';
import { realClock } from '../src/runtime/clock.js';
import { backgroundContext } from '../src/runtime/context.js';
import { isClassified } from '../src/runtime/errors.js';
import { countsOf, drainQuotas, newCloud } from './cloud.js';
import { limiterOptions } from './limiter.js';
import { cloudAccount, identityBinding, workloadIdentity } from './objects.js';
import { sleep } from './pool.js';
import { round } from './proc.js';
import type { CloudProfile, LimiterProfile } from './profiles.js';

export interface BaselineOptions {
  n: number;
  /** Workers for identities, and as many for bindings. */
  workers: number;
  cloud: CloudProfile;
  limiter: LimiterProfile;
  drainQuotas: boolean;
}

export interface BaselineResult {
  n: number;
  objects: number;
  seconds: number;
  objectsPerSecond: number;
  calls: Record<string, number>;
  throttled: Record<string, number>;
  /** Calls repeated after a throttling error (after its retry-after). */
  retries: number;
  maxRetriesPerObject: number;
  /** CPU seconds of the driver process (which runs the baseline and nothing else meanwhile). */
  cpuSeconds: number;
  /** The mean of the cloud's latency waits as they ran (ms). Absent in older runs. */
  cloudWaitedMs?: number;
}

const CLUSTER = 'bench';

/**
 * The bare-SDK script Keyless is measured against: the same provider calls the reconcilers make
 * (observe + create for each identity; observe + create for its binding once the identity exists),
 * on W workers per kind, through a MemoryProvider on its own MemoryCloud of the same profile and
 * client-side limiter. No Kubernetes. A throttled call is repeated after its retry-after, as the
 * cloud SDKs' retry policies do.
 */
export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const cloud = newCloud(options.cloud);
  if (options.drainQuotas) await drainQuotas(cloud, options.cloud);
  const provider = new MemoryProvider(cloud, limiterOptions(options.limiter.rate));
  const account = asObject<CloudAccount>(cloudAccount(600_000));
  const accountReq = accountRequest(account);
  const retriesPerObject = new Map<string, number>();
  let retries = 0;
  // A script has no deadline: the same context (never aborted) for every call.
  const ctx = backgroundContext(pino({ level: 'silent' }), realClock);

  const retrying = async <T>(key: string, call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!isClassified(err) || err.kind !== 'throttled') throw err;
        retries += 1;
        retriesPerObject.set(key, (retriesPerObject.get(key) ?? 0) + 1);
        await sleep(err.retryAfterMs ?? 1000);
      }
    }
  };

  const ready = new HandOff<{ i: number; identity: WorkloadIdentity; observed: IdentityObservation }>();
  let nextIdentity = 0;
  const identityWorker = async () => {
    while (nextIdentity < options.n) {
      const i = nextIdentity++;
      const identity = asObject<WorkloadIdentity>(workloadIdentity(i));
      const request = identityRequest(identity, account, CLUSTER);
      const key = `wi/${i}`;
      let observed = await retrying(key, () => provider.identities.observe(ctx, request));
      if (!observed.exists) observed = await retrying(key, () => provider.identities.create(ctx, request));
      ready.put({ i, identity, observed });
    }
  };
  const bindingWorker = async () => {
    for (let item = await ready.take(); item; item = await ready.take()) {
      const binding = asObject<IdentityBinding>(identityBinding(item.i));
      const request: GrantRequest = {
        owner: ownerOf(binding, CLUSTER),
        account: accountReq,
        identity: {
          owner: ownerOf(item.identity, CLUSTER),
          externalName: item.observed.externalName,
          principal: item.observed.principal ?? {},
        },
        grants: provider.grants.resolve(binding.spec.grants, accountReq),
        expiresAt: undefined,
        previous: [],
        otherGrants: [],
      };
      const key = `ib/${item.i}`;
      const observed = await retrying(key, () => provider.grants.observe(ctx, request));
      if (!observed.exists) await retrying(key, () => provider.grants.create(ctx, request));
    }
  };

  const started = performance.now();
  const cpuAt = process.cpuUsage();
  const bindings = Array.from({ length: options.workers }, bindingWorker);
  await Promise.all(Array.from({ length: options.workers }, identityWorker));
  ready.close();
  await Promise.all(bindings);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAt);
  const waitedMs = cloud.meanWaitMs();
  return {
    n: options.n,
    objects: 2 * options.n,
    seconds,
    objectsPerSecond: (2 * options.n) / seconds,
    calls: countsOf(cloud.calls),
    throttled: countsOf(cloud.throttled),
    retries,
    maxRetriesPerObject: Math.max(0, ...retriesPerObject.values()),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(waitedMs === undefined ? {} : { cloudWaitedMs: round(waitedMs, 2) }),
  };
}

/** The object as the API server would return it: with a uid and a generation. */
export function asObject<T>(manifest: object): T {
  const object = structuredClone(manifest) as { metadata: Record<string, unknown> };
  object.metadata.uid = randomUUID();
  object.metadata.generation = 1;
  return object as T;
}

/** An unbounded queue from identity workers to binding workers. */
export class HandOff<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T | undefined) => void> = [];
  private closed = false;

  put(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  take(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined || this.closed) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
