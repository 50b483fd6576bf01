/**
 * Decides where the test control plane comes from, in this order:
 * 1. `KUBEBUILDER_ASSETS` (envtest layout: kube-apiserver, etcd, optionally kubectl);
 * 2. a cached build in `$XDG_CACHE_HOME/keyless/control-plane/<k8s version>/`;
 * 3. a build from tools/control-plane when `go` is on PATH (minutes, once; then 2.);
 * 4. a k3s container through @testcontainers/k3s when a Docker engine answers;
 * otherwise `unavailable` with a one-line explanation.
 * kubectl comes with the binaries: from 1. or 2. when there, else built by 3. on its own.
 */
import { join } from 'node:path';
import {
  CONTROL_PLANE_BINARIES,
  cachedBinaries,
  controlPlaneCacheRoot,
  ETCD,
  isExecutable,
  KUBE_APISERVER,
  KUBECTL,
} from './cache.js';
import { isDockerEngineReachable } from './docker.js';
import { type BuildOptions, ensureControlPlaneBuilt } from './go-build.js';
import { loadK3sModule } from './k3s.js';
import type { BinariesSource, ControlPlaneSource } from './types.js';
import { readControlPlaneVersions } from './versions.js';
import { findOnPath } from './which.js';

export const HOW_TO_ENABLE =
  'set KUBEBUILDER_ASSETS to a directory holding kube-apiserver and etcd, install Go (the binaries are then built ' +
  'from tools/control-plane, or run `npm run control-plane:build`), or run a Docker engine (for k3s through @testcontainers/k3s)';

export interface ResolveOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Progress of a build (step 3); defaults to stderr. */
  readonly log?: BuildOptions['log'];
}

/** kubectl at the pinned version from the cache, if it holds one. */
function cachedKubectl(env: NodeJS.ProcessEnv): string | undefined {
  const { dir, present } = cachedBinaries(readControlPlaneVersions(), controlPlaneCacheRoot(env));
  return present.has(KUBECTL) ? join(dir, KUBECTL) : undefined;
}

function fromKubebuilderAssets(dir: string, env: NodeJS.ProcessEnv): BinariesSource {
  const kubeApiServer = join(dir, KUBE_APISERVER);
  const etcd = join(dir, ETCD);
  const missing = [kubeApiServer, etcd].filter((path) => !isExecutable(path));
  if (missing.length > 0) {
    // An explicit setting that does not work is a mistake to report, not a reason to fall back.
    throw new Error(`KUBEBUILDER_ASSETS=${dir} has no executable ${missing.join(' or ')}`);
  }
  const own = join(dir, KUBECTL);
  const kubectl = isExecutable(own) ? own : cachedKubectl(env);
  return {
    kind: 'binaries',
    origin: 'KUBEBUILDER_ASSETS',
    dir,
    kubeApiServer,
    etcd,
    ...(kubectl ? { kubectl } : {}),
  };
}

function fromCache(env: NodeJS.ProcessEnv): BinariesSource | undefined {
  const { dir, present } = cachedBinaries(readControlPlaneVersions(), controlPlaneCacheRoot(env));
  if (!present.has(KUBE_APISERVER) || !present.has(ETCD)) return undefined;
  return {
    kind: 'binaries',
    origin: 'cache',
    dir,
    kubeApiServer: join(dir, KUBE_APISERVER),
    etcd: join(dir, ETCD),
    ...(present.has(KUBECTL) ? { kubectl: join(dir, KUBECTL) } : {}),
  };
}

/** Steps 1 and 2 only: no build, no Docker; synchronous. */
export function findPrebuiltBinaries(env: NodeJS.ProcessEnv = process.env): BinariesSource | undefined {
  if (env.KUBEBUILDER_ASSETS) return fromKubebuilderAssets(env.KUBEBUILDER_ASSETS, env);
  return fromCache(env);
}

export async function resolveControlPlane(options: ResolveOptions = {}): Promise<ControlPlaneSource> {
  const env = options.env ?? process.env;
  const prebuilt = findPrebuiltBinaries(env);
  if (prebuilt?.kubectl) return prebuilt;

  const go = findOnPath('go', env);
  if (go) {
    // With prebuilt kube-apiserver and etcd, only kubectl is built.
    const result = await ensureControlPlaneBuilt({
      goBinary: go,
      cacheRoot: controlPlaneCacheRoot(env),
      log: options.log,
      binaries: prebuilt ? [KUBECTL] : CONTROL_PLANE_BINARIES,
    });
    if (prebuilt) return { ...prebuilt, kubectl: result.kubectl };
    return {
      kind: 'binaries',
      origin: 'build',
      dir: result.dir,
      kubeApiServer: result.kubeApiServer,
      etcd: result.etcd,
      kubectl: result.kubectl,
    };
  }
  if (prebuilt) return prebuilt;

  if (await isDockerEngineReachable(env)) {
    const k3s = await loadK3sModule();
    if (k3s.available) return { kind: 'k3s', image: k3sImage(env) };
    return {
      kind: 'unavailable',
      reason: `a Docker engine is reachable but ${k3s.reason}; or ${HOW_TO_ENABLE}`,
    };
  }
  return { kind: 'unavailable', reason: `no control plane for integration tests: ${HOW_TO_ENABLE}` };
}

/** The k3s image of the pinned Kubernetes version, or KEYLESS_K3S_IMAGE. */
export function k3sImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEYLESS_K3S_IMAGE ?? `rancher/k3s:${readControlPlaneVersions().kubernetes}-k3s1`;
}
