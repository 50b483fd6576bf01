/** The on-disk cache of built control-plane binaries: `$XDG_CACHE_HOME/keyless/control-plane/<k8s version>/`. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlaneVersions } from './versions.js';

export const KUBE_APISERVER = 'kube-apiserver';
export const ETCD = 'etcd';
export const MANIFEST = 'manifest.json';

/** What is written next to the binaries once a build completed. */
export interface BuildManifest {
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

function readManifest(dir: string): BuildManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as BuildManifest;
  } catch {
    return undefined;
  }
}

/** The cached directory when it holds a complete build of exactly these versions. */
export function findCachedBuild(
  versions: ControlPlaneVersions,
  cacheRoot = controlPlaneCacheRoot(),
): { dir: string; manifest: BuildManifest } | undefined {
  const dir = cachedBinariesDir(versions, cacheRoot);
  const manifest = readManifest(dir);
  if (manifest?.kubernetes !== versions.kubernetes || manifest.etcd !== versions.etcd) return undefined;
  if (!isExecutable(join(dir, KUBE_APISERVER)) || !isExecutable(join(dir, ETCD))) return undefined;
  return { dir, manifest };
}
