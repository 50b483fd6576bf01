/**
 * Builds kube-apiserver and etcd from the Go module in tools/control-plane into the cache.
 * Used by `npm run control-plane:build` and, on first use, by the test harness.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BuildManifest,
  cachedBinariesDir,
  controlPlaneCacheRoot,
  ETCD,
  findCachedBuild,
  KUBE_APISERVER,
  MANIFEST,
} from './cache.js';
import { withFileLock } from './lock.js';
import { CONTROL_PLANE_MODULE_DIR, type ControlPlaneVersions, readControlPlaneVersions } from './versions.js';

export interface BuildOptions {
  /** Defaults to tools/control-plane. */
  readonly moduleDir?: string;
  /** Defaults to `$XDG_CACHE_HOME/keyless/control-plane`. */
  readonly cacheRoot?: string;
  /** The `go` executable; defaults to `go` on PATH. */
  readonly goBinary?: string;
  /** Progress lines; defaults to stderr. */
  readonly log?: (line: string) => void;
}

export interface BuildResult {
  readonly dir: string;
  readonly kubeApiServer: string;
  readonly etcd: string;
  readonly versions: ControlPlaneVersions;
  /** False when the cache already had this build. */
  readonly built: boolean;
  readonly seconds: number;
}

interface BuildTarget {
  readonly output: string;
  readonly packagePath: string;
  readonly ldflags: string;
}

const execFileAsync = promisify(execFile);
export const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off' });

const HEARTBEAT_MS = 20_000;
const ERROR_TAIL_LINES = 40;

const logToStderr = (line: string): void => {
  process.stderr.write(`[control-plane] ${line}\n`);
};

function buildTargets(versions: ControlPlaneVersions): BuildTarget[] {
  const [major = '', minor = ''] = versions.kubernetes.replace(/^v/, '').split('.');
  const versionPackage = 'k8s.io/component-base/version';
  const kubeVersionFlags = [
    `-X ${versionPackage}.gitVersion=${versions.kubernetes}`,
    `-X ${versionPackage}.gitMajor=${major}`,
    `-X ${versionPackage}.gitMinor=${minor}`,
    `-X ${versionPackage}.gitTreeState=clean`,
  ];
  return [
    {
      output: KUBE_APISERVER,
      packagePath: 'k8s.io/kubernetes/cmd/kube-apiserver',
      ldflags: ['-s', '-w', ...kubeVersionFlags].join(' '),
    },
    { output: ETCD, packagePath: 'go.etcd.io/etcd/server/v3', ldflags: '-s -w' },
  ];
}

export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
    : `${seconds}s`;
}

/** Runs a command, counting `go build -v` package lines and keeping the others for the error message. */
export function runGo(
  goBinary: string,
  args: string[],
  cwd: string,
  onPackage: () => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; otherLines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(goBinary, args, {
      cwd,
      env: goEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const otherLines: string[] = [];
    let pending = '';
    const onText = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // `go build -v` prints one import path per compiled package; anything else is a message.
        if (/^[\w.~-]+(\/[\w.~-]+)*$/.test(line)) onPackage();
        else if (line.trim() !== '') otherLines.push(line);
      }
      otherLines.splice(0, Math.max(0, otherLines.length - ERROR_TAIL_LINES));
    };
    child.stdout.on('data', onText);
    child.stderr.on('data', onText);
    child.on('error', (cause) => reject(new Error(`cannot run ${goBinary}`, { cause })));
    child.on('close', (code, signal) => {
      if (pending.trim() !== '') otherLines.push(pending);
      resolve({ code, signal, otherLines });
    });
  });
}

export async function goVersion(goBinary: string, moduleDir: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(goBinary, ['env', 'GOVERSION'], {
      cwd: moduleDir,
      env: goEnv(),
    });
    return stdout.trim();
  } catch (cause) {
    throw new Error(`${goBinary} env GOVERSION failed`, { cause });
  }
}

async function buildTarget(
  target: BuildTarget,
  outDir: string,
  moduleDir: string,
  goBinary: string,
  log: (line: string) => void,
  versions: ControlPlaneVersions,
): Promise<void> {
  const started = Date.now();
  let compiled = 0;
  const label = `${target.output} (${target.output === ETCD ? versions.etcd : versions.kubernetes})`;
  log(`building ${label} from ${target.packagePath}; the first build takes several minutes`);
  const heartbeat = setInterval(() => {
    log(
      `still building ${label}: ${compiled} packages compiled, ${formatElapsed(Date.now() - started)} elapsed`,
    );
  }, HEARTBEAT_MS);
  try {
    const args = [
      'build',
      '-v',
      '-o',
      join(outDir, target.output),
      '-ldflags',
      target.ldflags,
      target.packagePath,
    ];
    const result = await runGo(goBinary, args, moduleDir, () => {
      compiled++;
    });
    if (result.code !== 0) {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
      throw new Error(
        `go ${args.join(' ')} (in ${moduleDir}) ${how}:\n${result.otherLines.join('\n') || '(no output)'}`,
      );
    }
  } finally {
    clearInterval(heartbeat);
  }
  log(`built ${label} in ${formatElapsed(Date.now() - started)} (${compiled} package(s) compiled)`);
}

async function buildInto(
  finalDir: string,
  cacheRoot: string,
  versions: ControlPlaneVersions,
  options: Required<Pick<BuildOptions, 'moduleDir' | 'goBinary' | 'log'>>,
): Promise<number> {
  const started = Date.now();
  const tempDir = await mkdtemp(join(cacheRoot, `.build-${versions.kubernetes}-`));
  try {
    for (const target of buildTargets(versions)) {
      await buildTarget(target, tempDir, options.moduleDir, options.goBinary, options.log, versions);
    }
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    const manifest: BuildManifest = {
      kubernetes: versions.kubernetes,
      etcd: versions.etcd,
      goVersion: await goVersion(options.goBinary, options.moduleDir),
      builtAt: new Date().toISOString(),
      buildSeconds,
    };
    await writeFile(join(tempDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await chmod(tempDir, 0o755); // mkdtemp made it 0700
    // A stale incomplete directory (e.g. other versions of the manifest) is replaced.
    await rm(finalDir, { recursive: true, force: true });
    await rename(tempDir, finalDir);
    return buildSeconds;
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** Makes sure the cache holds kube-apiserver and etcd for the pinned versions, building them if needed. */
export async function ensureControlPlaneBuilt(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const moduleDir = options.moduleDir ?? CONTROL_PLANE_MODULE_DIR;
  const cacheRoot = options.cacheRoot ?? controlPlaneCacheRoot();
  const goBinary = options.goBinary ?? 'go';
  const log = options.log ?? logToStderr;
  const versions = readControlPlaneVersions(moduleDir);
  const finalDir = cachedBinariesDir(versions, cacheRoot);
  const result = (built: boolean): BuildResult => ({
    dir: finalDir,
    kubeApiServer: join(finalDir, KUBE_APISERVER),
    etcd: join(finalDir, ETCD),
    versions,
    built,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });

  if (findCachedBuild(versions, cacheRoot)) return result(false);
  await mkdir(cacheRoot, { recursive: true });
  return withFileLock(join(cacheRoot, `${versions.kubernetes}.lock`), log, async () => {
    // Another process may have finished the build while we waited for the lock.
    if (findCachedBuild(versions, cacheRoot)) return result(false);
    await buildInto(finalDir, cacheRoot, versions, { moduleDir, goBinary, log });
    return result(true);
  });
}
