/**
 * `npm run demo`: a real kube-apiserver and etcd on loopback, the operator running as its own
 * least-privilege ServiceAccount on the in-memory cloud, and examples/ applied and converged.
 * Ctrl-C stops everything. `npm run demo -- --exit` stops after printing the status instead.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { MemoryCloud } from '../src/providers/memory/memory-cloud.js';
import { memoryRegistry } from '../src/providers/registry.js';
import { runOperator } from '../src/run.js';
import { KubeClient } from '../src/runtime/kube-client.js';
import { resolveControlPlane } from '../test/support/control-plane/binaries.js';
import { startControlPlane } from '../test/support/control-plane/launcher.js';
import { loadExamples } from '../test/support/examples.js';
import { apply, get, type Manifest, waitFor } from '../test/support/kube-manifests.js';
import { installKeyless, operatorKubeConfig } from '../test/support/operator-harness.js';

type Status = {
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    principal?: { id?: string };
    expiresAt?: string;
  };
};

const exitWhenDone = process.argv.includes('--exit');

async function main(): Promise<void> {
  console.log('Keyless demo: a real Kubernetes API server on 127.0.0.1, the operator, and examples/.\n');
  const source = await resolveControlPlane();
  if (source.kind === 'unavailable') throw new Error(source.reason);
  console.log(
    `control plane: ${source.kind === 'binaries' ? `kube-apiserver and etcd from ${source.origin} (${source.dir})` : 'k3s'}`,
  );
  const controlPlane = await startControlPlane({ source });
  const stop = new AbortController();
  let operatorDone: Promise<unknown> = Promise.resolve();
  const shutdown = async () => {
    stop.abort();
    await operatorDone;
    await controlPlane.stop();
  };
  process.once('SIGINT', () => {
    console.log('\nstopping the operator and the control plane ...');
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });

  try {
    const admin = new KubeClient(controlPlane.kubeConfig());
    await installKeyless(admin);
    const operatorKubeconfig = join(controlPlane.workDir, 'keyless-operator.kubeconfig');
    const kubeConfig = await operatorKubeConfig(controlPlane);
    await writeFile(operatorKubeconfig, kubeConfig.exportConfig(), { mode: 0o600 });

    const cloud = new MemoryCloud({ latencyMs: 20 });
    let httpPort = 0;
    operatorDone = runOperator({
      config: loadConfig(
        ['--cluster-name=demo', '--cloud=memory', '--http-address=127.0.0.1:0', '--leader-elect=false'],
        {},
      ),
      logger: pino({ level: 'warn' }),
      signal: stop.signal,
      providers: memoryRegistry(cloud),
      kubeConfig,
      onStarted: (running) => {
        httpPort = running.httpPort;
      },
    });
    console.log(
      'operator: running as ServiceAccount keyless-system/keyless-operator (RBAC from deploy/rbac.yaml)',
    );
    console.log('cloud:    the in-memory cloud. Nothing is created in AWS, Google Cloud or Azure: the cloud');
    console.log(
      '          providers are not in this build yet, so the principals below are in-memory ones.\n',
    );

    const examples = loadExamples().map((e) => e.object as Manifest);
    for (const manifest of examples) await apply(admin, manifest);
    const keyless = examples.filter((m) => m.apiVersion.startsWith('keyless.dev/'));
    const statuses = new Map<Manifest, Status | undefined>();
    await waitFor(
      'every example to become Ready',
      async () => {
        for (const m of keyless) statuses.set(m, await get<Status>(admin, m));
        return keyless.every((m) => condition(statuses.get(m), 'Ready')?.status === 'True');
      },
      60_000,
    );

    console.log(table(keyless.map((m) => row(m, statuses.get(m)))));
    const sa = await admin.request<Manifest>('GET', '/api/v1/namespaces/shop/serviceaccounts/orders-api');
    console.log(`\nServiceAccount shop/orders-api annotations: ${JSON.stringify(sa.metadata.annotations)}`);
    console.log(`cloud calls so far: ${cloud.count('read')} reads, ${cloud.count('write')} writes\n`);
    console.log(`kubeconfig (admin): ${controlPlane.kubeconfigPath}`);
    console.log(`  kubectl --kubeconfig ${controlPlane.kubeconfigPath} get wi,ib -A`);
    console.log(`  kubectl --kubeconfig ${controlPlane.kubeconfigPath} get keyless -A`);
    console.log(
      `metrics: http://127.0.0.1:${httpPort}/metrics   health: http://127.0.0.1:${httpPort}/readyz`,
    );
    if (exitWhenDone) {
      await shutdown();
      console.log('\ndemo finished; everything is stopped.');
      return;
    }
    console.log('\nPress Ctrl-C to stop everything.');
  } catch (err) {
    await shutdown();
    throw err;
  }
}

function condition(object: Status | undefined, type: string) {
  return object?.status?.conditions?.find((c) => c.type === type);
}

function row(manifest: Manifest, object: Status | undefined): string[] {
  const name = manifest.metadata.namespace
    ? `${manifest.metadata.namespace}/${manifest.metadata.name}`
    : manifest.metadata.name;
  return [
    manifest.kind,
    name,
    condition(object, 'Ready')?.status ?? '-',
    condition(object, 'Synced')?.status ?? '-',
    object?.status?.principal?.id ?? object?.status?.expiresAt ?? condition(object, 'Ready')?.message ?? '',
  ];
}

function table(rows: string[][]): string {
  const all = [['KIND', 'NAME', 'READY', 'SYNCED', 'PRINCIPAL / EXPIRES / MESSAGE'], ...rows];
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length))) ?? [];
  return all.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
