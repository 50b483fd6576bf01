/** Where the control-plane Go module lives and which versions it pins. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTROL_PLANE_MODULE_DIR = fileURLToPath(
  new URL('../../../tools/control-plane/', import.meta.url),
);

export interface ControlPlaneVersions {
  /** e.g. `v1.37.2`; also the name of the cache directory. */
  readonly kubernetes: string;
  /** e.g. `v3.7.0`. */
  readonly etcd: string;
}

function requiredVersion(goMod: string, modulePath: string, goModPath: string): string {
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${goModPath} does not require ${modulePath}`);
  return match[1];
}

export function readControlPlaneVersions(moduleDir: string = CONTROL_PLANE_MODULE_DIR): ControlPlaneVersions {
  const goModPath = join(moduleDir, 'go.mod');
  let goMod: string;
  try {
    goMod = readFileSync(goModPath, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read the control-plane Go module at ${goModPath}`, { cause });
  }
  return {
    kubernetes: requiredVersion(goMod, 'k8s.io/kubernetes', goModPath),
    etcd: requiredVersion(goMod, 'go.etcd.io/etcd/server/v3', goModPath),
  };
}
