import type { CloudAccount } from '../../src/api/index.js';
import type { KubeClient } from '../../src/kube-api/client.js';
import { isTrue } from '../../src/reconcilers/conditions.js';
import { TEST_CREDENTIALS } from '../../test/support/moto/aws.js';
import {
  apiServerWrites,
  create,
  operatorCredentials,
  seedPairs,
  setRateLimits,
  startCluster,
} from '../cluster.js';
import { OperatorHost } from '../host/host-client.js';
import { ACCOUNT_ACTIONS, motoCpuSeconds, perRole, startMotoCloud } from '../moto.js';
import { runMotoBaseline } from '../moto-baseline.js';
import { ACCOUNT, awsCloudAccount, awsCredentialsSecret } from '../objects.js';
import type { BenchOptions } from '../options.js';
import { countsSince, cpuSecondsOf, diffCpu, ownCpuSeconds, round } from '../proc.js';
import { convergeCloud, NO_LIMITER } from '../profiles.js';
import { summarizeProfile } from '../report/cpu-profile.js';
import type { CpuProfileSummary, MotoResult } from '../results.js';
import { kubeWrites } from './converge.js';
import { runDelete } from './delete.js';
import { IDLE_SETTLE_MS, IDLE_WINDOW_MS, measureIdle } from './idle.js';

/** Long enough that no resync mixes into the figures. */
const RESYNC_MS = 600_000;
/** spec.rateLimits far above what moto answers (the schema's most): no call waits for the limiter. */
const NO_LIMIT_QPS = 10_000;
/**
 * The real AWS provider on moto: a fresh API server with one AWS CloudAccount pointing at moto's
 * counting proxy; the operator (its own process, the default provider registry, default settings)
 * first started with no other object, to measure its idle memory with the AWS SDK loaded; then
 * stopped, N WorkloadIdentities + N IdentityBindings created, and started again to converge them:
 * N roles, each with an OIDC trust and one inline S3-read policy. Once converged, it is left alone
 * (measureIdle: its CPU with nothing to do), then the pairs are deleted. Once they are gone, the same
 * converge again with the account's spec.rateLimits far above what moto answers (the client-side
 * limiter out of the way), to tell what the defaults cost. Given `profilePath`, they are deleted
 * again and converged a third time with the defaults, the operator's code warm, under the CPU
 * profiler (apart from the figures above, which the profiler would slow). Then the bare-SDK
 * baseline makes the same IAM calls for N fresh roles on the same moto at the same concurrency.
 */
export async function runMoto(bench: BenchOptions, profilePath?: string): Promise<MotoResult> {
  const n = bench.motoN;
  const cloud = await startMotoCloud();
  if ('unavailable' in cloud) {
    log(n, `skipped: ${cloud.unavailable}`);
    return { skipped: cloud.unavailable };
  }
  const { proxy } = cloud;
  const cluster = await startCluster().catch(async (err: unknown) => {
    await cloud.stop();
    throw err;
  });
  let host: OperatorHost | undefined;
  try {
    const issuerUrl = cluster.controlPlane.issuerUrl;
    await create(cluster.admin, awsCredentialsSecret(TEST_CREDENTIALS));
    await create(cluster.admin, awsCloudAccount(RESYNC_MS, proxy.endpoint, issuerUrl));
    host = OperatorHost.spawn(bench.memoryLimitMiB);
    const init = {
      credentials: await operatorCredentials(cluster.controlPlane),
      backend: 'aws' as const,
      cloud: convergeCloud(0),
      limiter: NO_LIMITER.rate,
      workers: bench.workers,
    };
    const before = await host.send('init', init);
    const start = (identities: number) =>
      host?.send('start', {
        expect: { identities, bindings: identities },
        trackObjects: false,
        drainQuotas: false,
      });

    // Idle: the account's first check has run, and it made its STS and IAM calls through the AWS
    // SDK's clients (the proxy counted them), so the provider module and @aws-sdk/client-iam and
    // client-sts are loaded in the host when its memory is sampled (after a forced GC).
    proxy.resetCounts();
    await start(0);
    await waitAccountReady(cluster.admin, 120_000);
    const idleCalls = proxy.counts();
    if (!idleCalls.GetCallerIdentity)
      throw new Error('the account is Ready but moto saw no GetCallerIdentity');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = await host.send('memory');
    await host.send('stop');
    log(n, `idle with the AWS SDK loaded: ${Math.round(idle.rss / 2 ** 20)} MB RSS`);

    log(n, 'seeding');
    const seeded = await seedPairs(cluster.admin, n, bench.createConcurrency);
    log(n, `seeded ${seeded.objects} objects in ${seeded.seconds.toFixed(1)} s`);
    proxy.resetCounts();
    const writesBefore = await apiServerWrites(cluster);
    const cpuBefore = cpuSecondsOf(cluster.controlPlane.workDir);
    const motoBefore = motoCpuSeconds(cloud.moto.port);
    await start(n);
    const timings = await host.send('waitConverged', { timeoutMs: 60 * 60_000 });
    // Let anything still in flight (a last Event, a redundant reconcile) land in the counts.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stats = await host.send('stats');
    const calls = proxy.counts();
    const motoCpu = motoCpuSeconds(cloud.moto.port) - motoBefore;
    const controlPlane = diffCpu(cpuSecondsOf(cluster.controlPlane.workDir), cpuBefore);
    const apiServer = countsSince(await apiServerWrites(cluster), writesBefore);
    const after = await host.send('memory');
    const seconds = ((timings.convergedAt ?? Number.NaN) - timings.startedAt) / 1000;
    log(n, `operator converged ${2 * n} objects on moto in ${seconds.toFixed(1)} s`);
    log(
      n,
      `left alone for ${(IDLE_SETTLE_MS + IDLE_WINDOW_MS) / 1000} s, the last ${IDLE_WINDOW_MS / 1000} s measured`,
    );
    const idleWindow = await measureIdle(host, () => proxy.counts());
    log(n, `idle: ${idleWindow.cpuSeconds} CPU s in ${idleWindow.seconds} s`);
    await host.send('stop');
    proxy.resetCounts();
    const deleted = await runDelete({ cluster, host, n, bench, convergeSeconds: seconds });
    const deleteCalls = proxy.counts();

    const operator = host;
    /** The pairs created again and converged under `qps` (undefined: the defaults); its seconds. */
    const convergeAgain = async (qps: number | undefined, profileTo?: string): Promise<number> => {
      await operator.send('stop');
      await setRateLimits(cluster.admin, qps);
      await seedPairs(cluster.admin, n, bench.createConcurrency, { namespaces: false });
      if (profileTo) await operator.send('profileStart');
      await start(n);
      const again = await operator.send('waitConverged', { timeoutMs: 60 * 60_000 });
      if (profileTo) await operator.send('profileStop', { path: profileTo });
      return ((again.convergedAt ?? Number.NaN) - again.startedAt) / 1000;
    };

    log(n, `again with spec.rateLimits at ${NO_LIMIT_QPS}/s`);
    const unlimitedSeconds = await convergeAgain(NO_LIMIT_QPS);
    log(
      n,
      `operator converged ${2 * n} objects on moto in ${unlimitedSeconds.toFixed(1)} s without the limiter`,
    );
    let profiledSeconds: number | undefined;
    let cpuProfile: CpuProfileSummary | undefined;
    if (profilePath) {
      log(n, 'again with the defaults, under the CPU profiler');
      await host.send('stop');
      await runDelete({ cluster, host, n, bench, convergeSeconds: unlimitedSeconds });
      profiledSeconds = await convergeAgain(undefined, profilePath);
      cpuProfile = summarizeProfile(
        profilePath,
        `moto converge with the defaults, N = ${n} + ${n}, code warm`,
      );
      log(
        n,
        `operator converged ${2 * n} objects on moto in ${profiledSeconds.toFixed(1)} s under the profiler`,
      );
    }
    await host.close();
    host = undefined;
    await cluster.stop();

    log(n, 'bare-SDK baseline on moto');
    proxy.resetCounts();
    const clientBefore = ownCpuSeconds();
    const motoBaselineBefore = motoCpuSeconds(cloud.moto.port);
    const baseline = await runMotoBaseline({
      n,
      workers: bench.workers,
      endpoint: proxy.endpoint,
      issuerUrl,
      cluster: 'bench-baseline',
    });
    const clientCpu = ownCpuSeconds() - clientBefore;
    const baselineMotoCpu = motoCpuSeconds(cloud.moto.port) - motoBaselineBefore;
    const baselineCalls = proxy.counts();
    log(n, `baseline made the same calls in ${baseline.seconds.toFixed(1)} s`);
    const operatorCpu = (stats.cpuMs.user + stats.cpuMs.system) / 1000;
    /** A converge after the first, against the baseline. */
    const againFigures = (againSeconds: number) => ({
      seconds: round(againSeconds),
      objectsPerSecond: round((2 * n) / againSeconds, 1),
      ratio: round((2 * n) / againSeconds / baseline.objectsPerSecond, 3),
    });
    const objectsPerSecond = (2 * n) / seconds;
    return {
      n,
      objects: 2 * n,
      seed: seeded,
      operator: {
        seconds: round(seconds),
        objectsPerSecond: round(objectsPerSecond, 1),
        syncSeconds: round(((timings.syncedAt ?? Number.NaN) - timings.startedAt) / 1000),
        calls,
        callsPerRole: perRole(calls, n),
        accountCalls: Object.fromEntries(
          Object.entries(calls).filter(([action]) => ACCOUNT_ACTIONS.has(action)),
        ),
        idleCalls,
        kubeRequests: stats.kubeRequests,
        kubeWritesPerPair: round(kubeWrites(stats) / n),
        apiServerWrites: apiServer,
        reconciles: stats.reconciles,
        cpuSeconds: {
          operator: round(operatorCpu),
          perPair: round(operatorCpu / n, 4),
          moto: round(motoCpu),
          controlPlane,
        },
        memory: { before, idle, after },
      },
      // The host has no cloud counts of its own on moto: the proxy's are the delete's.
      delete: { ...deleted, cloudCalls: deleteCalls, cloudCallsPerPair: perRole(deleteCalls, n) },
      baseline: {
        seconds: round(baseline.seconds),
        objectsPerSecond: round(baseline.objectsPerSecond, 1),
        calls: baselineCalls,
        callsPerRole: perRole(baselineCalls, n),
        cpuSeconds: {
          client: round(clientCpu),
          perPair: round(clientCpu / n, 4),
          moto: round(baselineMotoCpu),
        },
      },
      ratio: round(objectsPerSecond / baseline.objectsPerSecond, 3),
      idle: idleWindow,
      withoutLimiter: { qps: NO_LIMIT_QPS, ...againFigures(unlimitedSeconds) },
      ...(profiledSeconds !== undefined && cpuProfile
        ? { profiled: { ...againFigures(profiledSeconds), cpuProfile } }
        : {}),
    };
  } finally {
    await host?.close();
    await cluster.stop();
    await cloud.stop();
  }
}

async function waitAccountReady(admin: KubeClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const account = await admin.request<CloudAccount>(
      'GET',
      `/apis/keyless.dev/v1alpha1/cloudaccounts/${ACCOUNT}`,
    );
    if (isTrue(account.status?.conditions, 'Ready')) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `CloudAccount ${ACCOUNT} not Ready after ${timeoutMs} ms: ${JSON.stringify(account.status?.conditions)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function log(n: number, message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] moto N=${n}: ${message}`);
}
