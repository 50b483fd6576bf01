/** A control plane made of an etcd and a kube-apiserver process on 127.0.0.1. */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { httpGet, type TlsClientIdentity } from './http.js';
import { adminKubeconfigYaml } from './kubeconfig.js';
import { type ControlPlanePki, generatePki } from './pki.js';
import { freePorts, mentionsPortConflict } from './ports.js';
import { guardDirectory, ManagedProcess, releaseDirectory } from './processes.js';
import {
  type BinariesSource,
  CLOUD_AUDIENCES,
  type ControlPlane,
  type StartControlPlaneOptions,
} from './types.js';
import { waitUntil } from './wait.js';

const DEFAULT_START_TIMEOUT_MS = 120_000;
const PORT_ATTEMPTS = 3;
const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';

interface Layout {
  readonly workDir: string;
  readonly etcdDataDir: string;
  readonly certDir: string;
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly kubeconfigPath: string;
  readonly etcdLog: string;
  readonly apiServerLog: string;
}

interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
}

/** A startup failure with the failing component's log tail in its message. */
class StartupError extends Error {
  constructor(
    message: string,
    readonly portConflict: boolean,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

function layoutOf(workDir: string): Layout {
  const pki = join(workDir, 'pki');
  const logs = join(workDir, 'logs');
  return {
    workDir,
    etcdDataDir: join(workDir, 'etcd-data'),
    certDir: join(workDir, 'apiserver-certs'),
    caCert: join(pki, 'ca.crt'),
    servingCert: join(pki, 'apiserver.crt'),
    servingKey: join(pki, 'apiserver.key'),
    serviceAccountKey: join(pki, 'sa.key'),
    serviceAccountPublicKey: join(pki, 'sa.pub'),
    kubeconfigPath: join(workDir, 'kubeconfig.yaml'),
    etcdLog: join(logs, 'etcd.log'),
    apiServerLog: join(logs, 'kube-apiserver.log'),
  };
}

async function writePki(layout: Layout, pki: ControlPlanePki): Promise<void> {
  await Promise.all([
    mkdir(join(layout.workDir, 'pki'), { mode: 0o700 }),
    mkdir(join(layout.workDir, 'logs')),
    mkdir(layout.certDir, { mode: 0o700 }),
  ]);
  await Promise.all([
    writeFile(layout.caCert, pki.ca.certPem),
    writeFile(layout.servingCert, pki.apiServer.certPem),
    writeFile(layout.servingKey, pki.apiServer.keyPem, { mode: 0o600 }),
    writeFile(layout.serviceAccountKey, pki.serviceAccount.privateKeyPem, { mode: 0o600 }),
    writeFile(layout.serviceAccountPublicKey, pki.serviceAccount.publicKeyPem),
  ]);
}

function etcdArgs(layout: Layout, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=keyless',
    `--data-dir=${layout.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=keyless=${peer}`,
    // Throwaway data: skip fsync, which dominates etcd latency on CI disks.
    '--unsafe-no-fsync=true',
  ];
}

function apiServerArgs(layout: Layout, ports: Ports, extra: readonly string[]): string[] {
  const issuer = `https://127.0.0.1:${ports.apiServer}`;
  return [
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    `--cert-dir=${layout.certDir}`,
    `--tls-cert-file=${layout.servingCert}`,
    `--tls-private-key-file=${layout.servingKey}`,
    `--client-ca-file=${layout.caCert}`,
    `--service-account-issuer=${issuer}`,
    `--service-account-key-file=${layout.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${layout.serviceAccountKey}`,
    `--api-audiences=${[issuer, ...CLOUD_AUDIENCES].join(',')}`,
    '--authorization-mode=RBAC',
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    // The lease reconciler refuses a loopback advertise address; nothing here needs the endpoints.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    ...extra,
  ];
}

async function expectOk(url: string, tls: TlsClientIdentity): Promise<void> {
  const response = await httpGet(url, tls);
  if (response.status !== 200) {
    throw new Error(
      `GET ${new URL(url).pathname} answered ${response.status}: ${response.body.slice(0, 300)}`,
    );
  }
}

async function startupError(child: ManagedProcess, cause: unknown): Promise<StartupError> {
  const tail = await child.logTail(40);
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message =
    `${child.spec.name} failed to start: ${reason}\n` +
    `--- last lines of ${child.spec.logPath} (set KEYLESS_CONTROL_PLANE_KEEP=1 to keep it) ---\n${tail}`;
  return new StartupError(message, mentionsPortConflict(tail), { cause });
}

/** Starts a process and waits for `ready`; on failure stops it and throws a StartupError. */
async function startAndWait(
  spec: ManagedProcess['spec'],
  ready: (child: ManagedProcess) => Promise<void>,
): Promise<ManagedProcess> {
  const child = await ManagedProcess.start(spec);
  try {
    await ready(child);
    return child;
  } catch (cause) {
    await child.stop();
    throw await startupError(child, cause);
  }
}

class LocalControlPlane implements ControlPlane {
  readonly kind = 'binaries';
  readonly server: string;
  readonly etcdUrl: string;
  readonly issuerUrl: string;
  readonly caPem: string;
  readonly kubeconfigPath: string;
  readonly workDir: string;
  #apiServer: ManagedProcess | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(
    private readonly binaries: BinariesSource,
    private readonly layout: Layout,
    private readonly pki: ControlPlanePki,
    private readonly ports: Ports,
    private readonly options: StartControlPlaneOptions,
    private readonly etcd: ManagedProcess,
  ) {
    this.server = `https://127.0.0.1:${ports.apiServer}`;
    this.etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
    this.issuerUrl = this.server;
    this.caPem = pki.ca.certPem;
    this.kubeconfigPath = layout.kubeconfigPath;
    this.workDir = layout.workDir;
  }

  static async boot(
    binaries: BinariesSource,
    layout: Layout,
    pki: ControlPlanePki,
    ports: Ports,
    options: StartControlPlaneOptions,
  ): Promise<LocalControlPlane> {
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const etcdHealth = `http://127.0.0.1:${ports.etcdClient}/health`;
    const etcd = await startAndWait(
      { name: 'etcd', command: binaries.etcd, args: etcdArgs(layout, ports), logPath: layout.etcdLog },
      (child) =>
        waitUntil(
          'etcd /health',
          async () => {
            const response = await httpGet(etcdHealth);
            if (!/"health":\s*"true"/.test(response.body)) {
              throw new Error(`GET /health answered ${response.status}: ${response.body.slice(0, 200)}`);
            }
          },
          { timeoutMs, process: child },
        ),
    );
    const controlPlane = new LocalControlPlane(binaries, layout, pki, ports, options, etcd);
    try {
      await controlPlane.launchApiServer();
      await writeFile(
        layout.kubeconfigPath,
        adminKubeconfigYaml({
          name: `keyless-test-${ports.apiServer}`,
          server: controlPlane.server,
          caPem: pki.ca.certPem,
          clientCertPem: pki.admin.certPem,
          clientKeyPem: pki.admin.keyPem,
        }),
        { mode: 0o600 },
      );
      return controlPlane;
    } catch (error) {
      await etcd.stop();
      throw error;
    }
  }

  private get adminTls(): TlsClientIdentity {
    return { caPem: this.pki.ca.certPem, certPem: this.pki.admin.certPem, keyPem: this.pki.admin.keyPem };
  }

  private async launchApiServer(): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const url = (path: string) => `${this.server}${path}`;
    this.#apiServer = await startAndWait(
      {
        name: 'kube-apiserver',
        command: this.binaries.kubeApiServer,
        args: apiServerArgs(this.layout, this.ports, this.options.extraApiServerArgs ?? []),
        logPath: this.layout.apiServerLog,
      },
      async (child) => {
        const wait = (what: string, path: string) =>
          waitUntil(what, () => expectOk(url(path), this.adminTls), { timeoutMs, process: child });
        await wait('kube-apiserver /readyz', '/readyz');
        await wait('the default namespace', '/api/v1/namespaces/default');
        await wait(
          'RBAC bootstrap (clusterrole cluster-admin)',
          '/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin',
        );
      },
    );
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromFile(this.kubeconfigPath);
    return config;
  }

  async restartApiServer(): Promise<void> {
    if (this.#stopping) throw new Error('restartApiServer() after stop()');
    await this.#apiServer?.stop();
    await appendFile(
      this.layout.apiServerLog,
      `\n=== keyless: restarting kube-apiserver at ${new Date().toISOString()} ===\n`,
    );
    await this.launchApiServer();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.stopAll();
    return this.#stopping;
  }

  private async stopAll(): Promise<void> {
    await this.#apiServer?.stop();
    await this.etcd.stop();
    await removeWorkDir(this.layout.workDir, this.options);
  }
}

async function removeWorkDir(workDir: string, options: StartControlPlaneOptions): Promise<void> {
  const keep = options.keepWorkDir ?? process.env.KEYLESS_CONTROL_PLANE_KEEP === '1';
  if (!keep) await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  releaseDirectory(workDir);
}

async function resetForRetry(layout: Layout): Promise<void> {
  await rm(layout.etcdDataDir, { recursive: true, force: true });
  const marker = `\n=== keyless: a port was taken meanwhile; retrying on new ports ===\n`;
  await Promise.all([appendFile(layout.etcdLog, marker), appendFile(layout.apiServerLog, marker)]);
}

/** Starts etcd and kube-apiserver from `binaries` on free loopback ports; resolves when RBAC is bootstrapped. */
export async function startLocalControlPlane(
  binaries: BinariesSource,
  options: StartControlPlaneOptions = {},
): Promise<ControlPlane> {
  const workDir = await mkdtemp(join(tmpdir(), 'keyless-cp-'));
  guardDirectory(workDir);
  const layout = layoutOf(workDir);
  try {
    const pki = await generatePki();
    await writePki(layout, pki);
    for (let attempt = 1; ; attempt++) {
      const [etcdClient = 0, etcdPeer = 0, apiServer = 0] = await freePorts(3);
      try {
        return await LocalControlPlane.boot(
          binaries,
          layout,
          pki,
          { etcdClient, etcdPeer, apiServer },
          options,
        );
      } catch (error) {
        if (!(error instanceof StartupError && error.portConflict) || attempt >= PORT_ATTEMPTS) throw error;
        await resetForRetry(layout);
      }
    }
  } catch (error) {
    await removeWorkDir(workDir, options);
    throw error;
  }
}
