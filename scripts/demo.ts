/**
 * `npm run demo`: a real kube-apiserver and etcd on loopback; moto (a local AWS emulator) and the
 * project's wire-level fakes of the Google Cloud and Azure APIs; the operator running as its own
 * least-privilege ServiceAccount with the real providers; examples/ applied and converged.
 * Ctrl-C stops everything; `npm run demo -- --exit` stops after printing.
 */
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { KubeSecretReader } from '../src/cluster/secret-reader.js';
import { loadConfig } from '../src/config.js';
import { KubeClient } from '../src/kube-api/client.js';
import { serializeError } from '../src/observability/logger.js';
import { runOperatorProcess } from '../src/process-lifecycle.js';
import { createAwsProvider } from '../src/providers/aws/provider.js';
import { createAzureProvider } from '../src/providers/azure/provider.js';
import { createGcpProvider } from '../src/providers/gcp/provider.js';
import type { AuditEntry } from '../src/providers/registry/instrumented.js';
import { cloudRegistry } from '../src/providers/registry/registry.js';
import { startAzureFake } from '../test/support/azure-fake/index.js';
import { resolveControlPlane } from '../test/support/control-plane/binaries.js';
import { startControlPlane } from '../test/support/control-plane/launcher.js';
import { loadExamples } from '../test/support/examples.js';
import { startGcpFake } from '../test/support/gcp-fake/index.js';
import { apply, get, type Manifest, waitFor } from '../test/support/kube-manifests.js';
import { ensureMoto, startMoto, TEST_CREDENTIALS } from '../test/support/moto/index.js';
import { installKeyless, OPERATOR_NAMESPACE, operatorKubeConfig } from '../test/support/operator-harness.js';
import { buildDashboardAssets } from './build-dashboard.js';

type Status = {
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    principal?: { id?: string };
    expiresAt?: string;
  };
};

const exitWhenDone = process.argv.includes('--exit');
const SECRET = { name: 'demo-credentials', namespace: OPERATOR_NAMESPACE };

async function main(): Promise<void> {
  console.log('Keyless demo: a real Kubernetes API server on 127.0.0.1, the operator, and examples/.\n');
  const source = await resolveControlPlane();
  if (source.kind === 'unavailable') throw new Error(source.reason);
  const origin =
    source.kind === 'binaries' ? `kube-apiserver and etcd from ${source.origin} (${source.dir})` : 'k3s';
  console.log(`control plane: ${origin}`);
  const controlPlane = await startControlPlane({ source });
  const { python, version } = await ensureMoto();
  const moto = await startMoto({ python });
  const gcp = await startGcpFake({
    projects: [{ projectId: 'shop-prod-4821', projectNumber: '481516234200' }],
  });
  const azure = await startAzureFake({
    subscriptions: [
      {
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        tenantId: '00000000-0000-0000-0000-0000000000aa',
        resourceGroups: ['keyless-identities', 'shop'],
      },
    ],
  });
  console.log(`AWS:           moto ${version} (a local AWS emulator) at ${moto.endpoint}`);
  console.log(`Google Cloud:  Keyless's wire-level fake of IAM and Resource Manager at ${gcp.endpoint}`);
  console.log(`Azure:         Keyless's wire-level fake of ARM at ${azure.endpoint}`);
  console.log('               Nothing reaches a real cloud.');
  const stop = new AbortController();
  let operatorDone: Promise<unknown> = Promise.resolve();
  const shutdown = async () => {
    stop.abort();
    await operatorDone;
    await Promise.all([moto.stop(), gcp.stop(), azure.stop()]);
    await controlPlane.stop();
  };
  process.once('SIGINT', () => {
    console.log('\nstopping the operator, the clouds and the control plane ...');
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
    await apply(admin, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: SECRET,
      stringData: {
        aws_access_key_id: TEST_CREDENTIALS.accessKeyId,
        aws_secret_access_key: TEST_CREDENTIALS.secretAccessKey,
        access_token: 'demo',
      },
    });
    const kubeConfig = await operatorKubeConfig(controlPlane);
    const secrets = new KubeSecretReader(new KubeClient(kubeConfig));
    let httpPort = 0;
    let dashboardPort: number | undefined;
    await buildDashboardAssets();
    operatorDone = runOperatorProcess({
      config: loadConfig(['--cluster-name=demo', '--http-address=127.0.0.1:0', '--leader-elect=false'], {
        KEYLESS_DASHBOARD_ADDRESS: process.env.KEYLESS_DASHBOARD_ADDRESS,
      }),
      logger: demoLogger(),
      signal: stop.signal,
      providers: cloudRegistry({
        aws: (account) => createAwsProvider(account, { secrets }),
        gcp: (account) => createGcpProvider(account, { secrets }),
        // The fake's throwaway CA; a real cluster would use NODE_EXTRA_CA_CERTS for a private endpoint.
        azure: (account) => createAzureProvider(account, { secrets, ca: azure.caPem }),
      }),
      connection: kubeConfig,
      onStarted: (running) => {
        httpPort = running.httpPort;
        dashboardPort = running.dashboardPort;
      },
    });
    console.log(
      'operator:      running as ServiceAccount keyless-system/keyless-operator (deploy/rbac.yaml)\n',
    );

    const endpoints: Record<string, string> = {
      aws: moto.endpoint,
      gcp: gcp.endpoint,
      azure: azure.endpoint,
    };
    const examples = loadExamples().map((e) =>
      e.object.kind === 'CloudAccount'
        ? demoAccount(e.object as Manifest, endpoints, controlPlane.issuerUrl)
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
    for (const name of ['orders-api', 'reports', 'billing']) {
      const sa = await admin.request<Manifest>('GET', `/api/v1/namespaces/shop/serviceaccounts/${name}`);
      console.log(`ServiceAccount shop/${name}: ${JSON.stringify(sa.metadata.annotations)}`);
    }
    console.log(`\nkubeconfig (admin): ${controlPlane.kubeconfigPath}`);
    // The kubectl built with the control plane, for machines without one of their own.
    const kubectl = (source.kind === 'binaries' && source.kubectl) || 'kubectl';
    console.log(`  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get wi,ib,ca -A`);
    console.log(`  ${kubectl} --kubeconfig ${controlPlane.kubeconfigPath} get keyless -A`);
    console.log(
      `metrics: http://127.0.0.1:${httpPort}/metrics   health: http://127.0.0.1:${httpPort}/readyz`,
    );
    if (dashboardPort !== undefined) console.log(`dashboard: http://127.0.0.1:${dashboardPort}/`);
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

/** An example CloudAccount pointed at its local backend and this cluster's issuer, with the demo's keys. */
function demoAccount(example: Manifest, endpoints: Record<string, string>, issuerUrl: string): Manifest {
  const spec = example.spec as { provider: string; aws?: object; azure?: object };
  return {
    ...example,
    spec: {
      ...spec,
      ...(spec.aws
        ? { aws: { ...spec.aws, region: 'us-east-1', oidcProvider: { issuerUrl, manage: true } } }
        : {}),
      ...(spec.azure ? { azure: { ...spec.azure, issuerUrl } } : {}),
      credentials: { source: 'Secret', secretRef: SECRET },
      endpoint: endpoints[spec.provider],
    },
  };
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
  return all
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

/**
 * The operator's warnings, errors and audit stream, one readable line each between the demo's own
 * lines (the operator itself writes JSON lines for a log pipeline): time, level, the object, what
 * happened and why.
 */
function demoLogger() {
  return pino(
    { level: 'warn', serializers: { err: serializeError } },
    pretty({
      sync: true,
      colorize: process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,component,controller,key,reconcileId,reason,kind,stream,audit',
      messageFormat: (log) => {
        const audit = log.audit as AuditEntry | undefined;
        if (audit) {
          const { provider, operation, owner, outcome, error } = audit;
          return `cloud change: ${provider} ${operation} for ${owner.namespace}/${owner.name}: ${outcome}${error ? ` (${error})` : ''}`;
        }
        const where = log.controller ? `${log.controller} ${log.key}: ` : '';
        return `${where}${log.msg}${log.reason ? ` (${log.reason})` : ''}`;
      },
      singleLine: true,
    }),
  );
}
