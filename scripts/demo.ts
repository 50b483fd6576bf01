/**
 * `npm run demo`: a real kube-apiserver and etcd on loopback, moto (a local AWS emulator), the
 * operator running as its own least-privilege ServiceAccount with the real AWS provider (Google
 * Cloud and Azure accounts on the in-memory cloud until their providers land), and examples/
 * applied and converged. Ctrl-C stops everything; `npm run demo -- --exit` stops after printing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { KubeSecretReader } from '../src/kube/secret-reader.js';
import { createAwsProvider } from '../src/providers/aws/provider.js';
import { MemoryCloud } from '../src/providers/memory/memory-cloud.js';
import { MemoryProvider } from '../src/providers/memory/memory-provider.js';
import { cloudRegistry } from '../src/providers/registry.js';
import { runOperator } from '../src/run.js';
import { KubeClient } from '../src/runtime/kube-client.js';
import { awsAccount, credentialsSecret } from '../test/support/aws-harness.js';
import { resolveControlPlane } from '../test/support/control-plane/binaries.js';
import { startControlPlane } from '../test/support/control-plane/launcher.js';
import { loadExamples } from '../test/support/examples.js';
import { apply, get, type Manifest, waitFor } from '../test/support/kube-manifests.js';
import { ensureMoto, startMoto, TEST_CREDENTIALS } from '../test/support/moto/index.js';
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
  const { python, version } = await ensureMoto();
  const moto = await startMoto({ python });
  console.log(`AWS:           moto ${version} (a local AWS emulator) at ${moto.endpoint}`);
  const stop = new AbortController();
  let operatorDone: Promise<unknown> = Promise.resolve();
  const shutdown = async () => {
    stop.abort();
    await operatorDone;
    await moto.stop();
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

    const memory = new MemoryProvider(new MemoryCloud({ latencyMs: 20 }));
    const secrets = new KubeSecretReader(new KubeClient(kubeConfig));
    let httpPort = 0;
    operatorDone = runOperator({
      config: loadConfig(['--cluster-name=demo', '--http-address=127.0.0.1:0', '--leader-elect=false'], {}),
      logger: pino({ level: 'warn' }),
      signal: stop.signal,
      providers: cloudRegistry({
        aws: (account) => createAwsProvider(account, { secrets }),
        gcp: () => memory,
        azure: () => memory,
      }),
      kubeConfig,
      onStarted: (running) => {
        httpPort = running.httpPort;
      },
    });
    console.log(
      'operator:      running as ServiceAccount keyless-system/keyless-operator (deploy/rbac.yaml)',
    );
    console.log('Google Cloud,  the in-memory cloud: their providers are not in this build yet, so their');
    console.log('Azure:         principals below are in-memory ones. Nothing reaches a real cloud.\n');

    await apply(admin, credentialsSecret(TEST_CREDENTIALS));
    const examples = loadExamples().map((e) =>
      e.object.kind === 'CloudAccount' && e.object.metadata.name === 'aws-prod'
        ? demoAwsAccount(e.object as Manifest, moto.endpoint, controlPlane.issuerUrl)
        : (e.object as Manifest),
    );
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
    console.log(
      `IAM role in moto: aws --endpoint-url ${moto.endpoint} iam get-role --role-name ${roleNameOf(statuses, keyless)}\n`,
    );
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

/** The AWS example CloudAccount, pointed at moto and at this cluster's issuer, with moto's keys. */
function demoAwsAccount(example: Manifest, endpoint: string, issuerUrl: string): Manifest {
  const spec = example.spec as { aws: object };
  const { credentials } = awsAccount(endpoint, issuerUrl, '10m').spec as { credentials: object };
  return {
    ...example,
    spec: {
      ...spec,
      aws: { ...spec.aws, region: 'us-east-1', oidcProvider: { issuerUrl, manage: true } },
      credentials,
      endpoint,
    },
  };
}

function roleNameOf(statuses: Map<Manifest, Status | undefined>, keyless: Manifest[]): string {
  const ordersApi = keyless.find((m) => m.kind === 'WorkloadIdentity' && m.metadata.name === 'orders-api');
  return ordersApi ? (statuses.get(ordersApi)?.status?.principal?.id?.split('/').pop() ?? '') : '';
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
