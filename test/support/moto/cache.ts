/**
 * The pinned moto install and where it is cached: `$XDG_CACHE_HOME/keyless/moto/<version>/`
 * (default `~/.cache/keyless/moto/<version>/`), a Python venv plus `manifest.json`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutable } from '../control-plane/cache.js';

export const MOTO_VERSION = '5.2.5';

/**
 * What `pip install` gets. Only the extras for the services the tests use (IAM, STS, S3) plus the
 * server's web framework: `moto[server]` would pull every service's dependencies (cfn-lint, docker,
 * aws-xray-sdk, ...) for nothing. Add an extra here (e.g. `moto[iam,s3,sts,sqs]`) when a test needs
 * another service; a changed list invalidates the cache. Lambda needs none: moto's CreateFunction,
 * GetFunctionConfiguration and UpdateFunctionConfiguration run on what is installed (its
 * `awslambda` extra only adds the docker client, which invoking a function needs).
 */
export const MOTO_REQUIREMENTS: readonly string[] = [
  `moto[iam,s3,sts]==${MOTO_VERSION}`,
  'flask==3.1.3',
  'flask-cors==6.0.5',
];

export const MANIFEST = 'manifest.json';

/** Written next to the venv once an install completed. */
export interface MotoManifest {
  readonly motoVersion: string;
  readonly requirements: readonly string[];
  /** `major.minor.micro` of the interpreter the venv was made from. */
  readonly pythonVersion: string;
  readonly installedAt: string;
  readonly installSeconds: number;
  /** `pip freeze` of the venv, for diagnosis. */
  readonly packages: readonly string[];
}

export function motoCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'keyless', 'moto');
}

export function motoInstallDir(version = MOTO_VERSION, cacheRoot = motoCacheRoot()): string {
  return join(cacheRoot, version);
}

/** The venv's interpreter. The venv is run as `python -m ...` only: scripts in `bin/` keep the build path. */
export function venvPython(installDir: string): string {
  return join(installDir, 'venv', 'bin', 'python');
}

export function readMotoManifest(installDir: string): MotoManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(installDir, MANIFEST), 'utf8')) as MotoManifest;
  } catch {
    return undefined;
  }
}

function sameRequirements(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((requirement, index) => requirement === b[index]);
}

/**
 * The cached install's interpreter when the manifest says it is complete and current. Synchronous and
 * cheap (no Python started): `ensureMoto()` additionally imports moto before trusting it.
 */
export function findCachedMoto(cacheRoot = motoCacheRoot()): { python: string; version: string } | undefined {
  const dir = motoInstallDir(MOTO_VERSION, cacheRoot);
  const manifest = readMotoManifest(dir);
  if (manifest?.motoVersion !== MOTO_VERSION) return undefined;
  if (!sameRequirements(manifest.requirements, MOTO_REQUIREMENTS)) return undefined;
  const python = venvPython(dir);
  return isExecutable(python) ? { python, version: MOTO_VERSION } : undefined;
}
