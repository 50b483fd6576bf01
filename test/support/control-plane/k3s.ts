/**
 * The last-resort control plane: k3s in a container through @testcontainers/k3s (a dev
 * dependency, imported only when a Docker engine answers). Its issuer is the in-cluster URL, since
 * the mapped host port is only known after start; discovery is still served by the API server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { httpGet, type TlsClientIdentity } from './http.js';
import { guardDirectory, releaseDirectory } from './processes.js';
import {
  CLOUD_AUDIENCES,
  type ControlPlane,
  type K3sSource,
  type StartControlPlaneOptions,
} from './types.js';

const K3S_PACKAGE = '@testcontainers/k3s';
const K3S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const READY_TIMEOUT_MS = 120_000;

/** The part of @testcontainers/k3s used here (typed locally so the package stays optional). */
interface StartedK3sContainer {
  getKubeConfig(): string;
  restart(): Promise<void>;
  stop(): Promise<unknown>;
}
interface K3sContainerBuilder {
  withCommand(command: string[]): K3sContainerBuilder;
  start(): Promise<StartedK3sContainer>;
}
interface K3sModule {
  K3sContainer: new (image: string) => K3sContainerBuilder;
}

export type K3sModuleLoad = { available: true; module: K3sModule } | { available: false; reason: string };

export async function loadK3sModule(): Promise<K3sModuleLoad> {
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring a package that installs
    // without dev dependencies leave out.
    const specifier: string = K3S_PACKAGE;
    return { available: true, module: (await import(specifier)) as K3sModule };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return {
        available: false,
        reason: `${K3S_PACKAGE} is not installed (npm install --save-dev ${K3S_PACKAGE})`,
      };
    }
    throw new Error(`cannot load ${K3S_PACKAGE}`, { cause: error });
  }
}

function k3sCommand(options: StartControlPlaneOptions): string[] {
  const extra = (options.extraApiServerArgs ?? []).map(
    (flag) => `--kube-apiserver-arg=${flag.replace(/^--/, '')}`,
  );
  return [
    'server',
    '--disable=traefik',
    `--kube-apiserver-arg=service-account-issuer=${K3S_ISSUER}`,
    `--kube-apiserver-arg=api-audiences=${[K3S_ISSUER, ...CLOUD_AUDIENCES].join(',')}`,
    ...extra,
  ];
}

function adminTlsOf(kubeconfigYaml: string): { server: string; tls: TlsClientIdentity } {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml);
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster?.caData || !user?.certData || !user.keyData) {
    throw new Error('the k3s kubeconfig lacks embedded CA or client certificate data');
  }
  const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');
  return {
    server: cluster.server,
    tls: { caPem: decode(cluster.caData), certPem: decode(user.certData), keyPem: decode(user.keyData) },
  };
}

async function waitForApi(server: string, tls: TlsClientIdentity): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const paths = [
    '/readyz',
    '/api/v1/namespaces/default',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin',
  ];
  for (const path of paths) {
    let last = 'no answer';
    for (;;) {
      try {
        const response = await httpGet(`${server}${path}`, tls);
        if (response.status === 200) break;
        last = `${response.status}: ${response.body.slice(0, 200)}`;
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline)
        throw new Error(`k3s at ${server}: timed out waiting for ${path} (last: ${last})`);
      await sleep(500);
    }
  }
}

class K3sControlPlane implements ControlPlane {
  readonly kind = 'k3s';
  readonly issuerUrl = K3S_ISSUER;
  readonly kubeconfigPath: string;
  #server = '';
  #caPem = '';
  #stopping: Promise<void> | undefined;

  constructor(
    readonly workDir: string,
    private readonly container: StartedK3sContainer,
    private readonly options: StartControlPlaneOptions,
  ) {
    this.kubeconfigPath = join(workDir, 'kubeconfig.yaml');
  }

  get server(): string {
    return this.#server;
  }

  get caPem(): string {
    return this.#caPem;
  }

  /** Re-reads the kubeconfig (the mapped port can change on restart) and waits until the API is ready. */
  async refresh(): Promise<void> {
    const yaml = this.container.getKubeConfig();
    const { server, tls } = adminTlsOf(yaml);
    await writeFile(this.kubeconfigPath, yaml, { mode: 0o600 });
    this.#server = server;
    this.#caPem = tls.caPem;
    await waitForApi(server, tls);
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromFile(this.kubeconfigPath);
    return config;
  }

  /** Restarts the whole k3s container (API server and its datastore, which persists). */
  async restartApiServer(): Promise<void> {
    await this.container.restart();
    await this.refresh();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.container.stop();
      if (!(this.options.keepWorkDir ?? process.env.KEYLESS_CONTROL_PLANE_KEEP === '1')) {
        await rm(this.workDir, { recursive: true, force: true });
      }
      releaseDirectory(this.workDir);
    })();
    return this.#stopping;
  }
}

export async function startK3sControlPlane(
  source: K3sSource,
  options: StartControlPlaneOptions = {},
): Promise<ControlPlane> {
  const load = await loadK3sModule();
  if (!load.available) throw new Error(`cannot start k3s: ${load.reason}`);
  const workDir = await mkdtemp(join(tmpdir(), 'keyless-k3s-'));
  guardDirectory(workDir);
  let container: StartedK3sContainer | undefined;
  try {
    container = await new load.module.K3sContainer(source.image).withCommand(k3sCommand(options)).start();
    const controlPlane = new K3sControlPlane(workDir, container, options);
    await controlPlane.refresh();
    return controlPlane;
  } catch (error) {
    await container?.stop();
    await rm(workDir, { recursive: true, force: true });
    releaseDirectory(workDir);
    throw new Error(`k3s (${source.image}) did not start`, { cause: error });
  }
}
