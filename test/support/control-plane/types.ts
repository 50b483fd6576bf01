import type { KubeConfig } from '@kubernetes/client-node';

/** A running Kubernetes API server for tests. */
export interface ControlPlane {
  /** `binaries`: etcd + kube-apiserver processes on loopback; `k3s`: a k3s container. */
  readonly kind: 'binaries' | 'k3s';
  /** API server URL, e.g. `https://127.0.0.1:41234`. */
  readonly server: string;
  /** `--service-account-issuer`; `/.well-known/openid-configuration` is served by the API server. */
  readonly issuerUrl: string;
  /** CA that signed the API server's serving certificate. */
  readonly caPem: string;
  /** etcd's client URL (plain HTTP on loopback), for tests that compact it; undefined for k3s. */
  readonly etcdUrl?: string;
  /** Admin (system:masters) kubeconfig with embedded credentials. */
  readonly kubeconfigPath: string;
  /** Temp dir holding certificates, the kubeconfig, logs and etcd data; removed by `stop()`. */
  readonly workDir: string;
  /** A fresh client-node `KubeConfig` for the admin kubeconfig. */
  kubeConfig(): KubeConfig;
  /** Stops and starts kube-apiserver on the same etcd, ports and certificates; resolves when ready. */
  restartApiServer(): Promise<void>;
  /** Stops every process and removes `workDir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Where a control plane can come from, as decided once by `resolveControlPlane()`. Serializable. */
export type ControlPlaneSource =
  | {
      readonly kind: 'binaries';
      readonly origin: 'KUBEBUILDER_ASSETS' | 'cache' | 'build';
      readonly dir: string;
      readonly kubeApiServer: string;
      readonly etcd: string;
      readonly kubectl?: string;
    }
  | { readonly kind: 'k3s'; readonly image: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

export type BinariesSource = Extract<ControlPlaneSource, { kind: 'binaries' }>;
export type K3sSource = Extract<ControlPlaneSource, { kind: 'k3s' }>;

/** Audiences the API server accepts besides its issuer (the default audience). */
export const CLOUD_AUDIENCES = ['sts.amazonaws.com', 'api://AzureADTokenExchange'] as const;

export interface StartControlPlaneOptions {
  /** Defaults to `await resolveControlPlane()` (which may build the binaries). */
  readonly source?: ControlPlaneSource;
  /** Appended to the kube-apiserver command line (later flags win), e.g. `--feature-gates=...`. */
  readonly extraApiServerArgs?: readonly string[];
  /** Per component (etcd, kube-apiserver). Default 120 s. */
  readonly startTimeoutMs?: number;
  /** Keep `workDir` after `stop()` or a failed start. Default: `KEYLESS_CONTROL_PLANE_KEEP=1`. */
  readonly keepWorkDir?: boolean;
}
