/** The on-disk cache of built control-plane binaries: `$XDG_CACHE_HOME/keyless/control-plane/<k8s version>/`. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlaneVersions } from './versions.js';

export const KUBE_APISERVER = 'kube-apiserver';
export const ETCD = 'etcd';
export const KUBECTL = 'kubectl';
export const MANIFEST = 'manifest.json';

/** Everything tools/control-plane builds; each lands in the cache on its own. */
export const CONTROL_PLANE_BINARIES = [KUBE_APISERVER, ETCD, KUBECTL] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

/** etcd has its own version; kube-apiserver and kubectl are built from k8s.io/kubernetes. */
export function versionOf(binary: ControlPlaneBinary, versions: ControlPlaneVersions): string {
  return binary === ETCD ? versions.etcd : versions.kubernetes;
}

/** How one binary in the cache was built. */
export interface BinaryBuild {
  readonly version: string;
  readonly goVersion: string;
  readonly builtAt: string;
  readonly buildSeconds: number;
}

/**
 * Written next to the binaries each time one lands. `kubernetes` and `etcd` are the versions the
 * directory holds, as in the older layout without `binaries` (kube-apiserver and etcd built together,
 * described by top-level `goVersion`, `builtAt` and `buildSeconds`), which is still read.
 */
export interface BuildManifest {
  readonly kubernetes: string;
  readonly etcd?: string;
  readonly binaries: Partial<Record<ControlPlaneBinary, BinaryBuild>>;
}

interface OlderManifest {
  readonly kubernetes: string;
  readonly etcd: string;
  readonly goVersion: string;
  readonly builtAt: string;
  readonly buildSeconds: number;
}

export function controlPlaneCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'keyless', 'control-plane');
}

export function cachedBinariesDir(
  versions: ControlPlaneVersions,
  cacheRoot = controlPlaneCacheRoot(),
): string {
  return join(cacheRoot, versions.kubernetes);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function readManifest(dir: string): BuildManifest | undefined {
  let parsed: Partial<BuildManifest & OlderManifest>;
  try {
    parsed = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as typeof parsed;
  } catch {
    return undefined; // none yet, or cut short: what it described is built again
  }
  if (typeof parsed.kubernetes !== 'string') return undefined;
  if (parsed.binaries) return { kubernetes: parsed.kubernetes, etcd: parsed.etcd, binaries: parsed.binaries };
  if (typeof parsed.etcd !== 'string') return undefined;
  const build = (version: string): BinaryBuild => ({
    version,
    goVersion: parsed.goVersion ?? '',
    builtAt: parsed.builtAt ?? '',
    buildSeconds: parsed.buildSeconds ?? 0,
  });
  return {
    kubernetes: parsed.kubernetes,
    etcd: parsed.etcd,
    binaries: { [KUBE_APISERVER]: build(parsed.kubernetes), [ETCD]: build(parsed.etcd) },
  };
}

/** Which of the binaries the cache holds complete and at the pinned versions. */
export function cachedBinaries(
  versions: ControlPlaneVersions,
  cacheRoot = controlPlaneCacheRoot(),
): { dir: string; present: ReadonlySet<ControlPlaneBinary> } {
  const dir = cachedBinariesDir(versions, cacheRoot);
  const manifest = readManifest(dir);
  const present = new Set<ControlPlaneBinary>();
  for (const binary of CONTROL_PLANE_BINARIES) {
    const build = manifest?.binaries[binary];
    if (build?.version === versionOf(binary, versions) && isExecutable(join(dir, binary)))
      present.add(binary);
  }
  return { dir, present };
}
