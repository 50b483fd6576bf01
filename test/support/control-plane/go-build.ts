/**
 * Builds kube-apiserver, etcd and kubectl from the Go module in tools/control-plane into the cache,
 * each on its own: only what the cache lacks is built. Used by `npm run control-plane:build` and,
 * on first use, by the test harness.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BinaryBuild,
  type BuildManifest,
  CONTROL_PLANE_BINARIES,
  type ControlPlaneBinary,
  cachedBinaries,
  cachedBinariesDir,
  controlPlaneCacheRoot,
  ETCD,
  KUBE_APISERVER,
  KUBECTL,
  MANIFEST,
  readManifest,
  versionOf,
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
  /** What the cache must hold afterwards; defaults to all three. Only the missing ones are built. */
  readonly binaries?: readonly ControlPlaneBinary[];
}

export interface BuildResult {
  /** Where the binaries are; those asked for are there. */
  readonly dir: string;
  readonly kubeApiServer: string;
  readonly etcd: string;
  readonly kubectl: string;
  readonly versions: ControlPlaneVersions;
  /** What this call built; empty when the cache already held everything asked for. */
  readonly built: readonly ControlPlaneBinary[];
  readonly seconds: number;
}

interface BuildTarget {
  readonly output: ControlPlaneBinary;
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

function buildTarget(binary: ControlPlaneBinary, versions: ControlPlaneVersions): BuildTarget {
  const [major = '', minor = ''] = versions.kubernetes.replace(/^v/, '').split('.');
  const versionPackage = 'k8s.io/component-base/version';
  const kubeVersionFlags = [
    `-X ${versionPackage}.gitVersion=${versions.kubernetes}`,
    `-X ${versionPackage}.gitMajor=${major}`,
    `-X ${versionPackage}.gitMinor=${minor}`,
    `-X ${versionPackage}.gitTreeState=clean`,
  ];
  const kubeLdflags = ['-s', '-w', ...kubeVersionFlags].join(' ');
  switch (binary) {
    case KUBE_APISERVER:
      return { output: binary, packagePath: 'k8s.io/kubernetes/cmd/kube-apiserver', ldflags: kubeLdflags };
    case KUBECTL:
      return { output: binary, packagePath: 'k8s.io/kubernetes/cmd/kubectl', ldflags: kubeLdflags };
    case ETCD:
      return { output: binary, packagePath: 'go.etcd.io/etcd/server/v3', ldflags: '-s -w' };
  }
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

async function runBuild(
  target: BuildTarget,
  outDir: string,
  moduleDir: string,
  goBinary: string,
  log: (line: string) => void,
  versions: ControlPlaneVersions,
): Promise<void> {
  const started = Date.now();
  let compiled = 0;
  const label = `${target.output} (${versionOf(target.output, versions)})`;
  log(`building ${label} from ${target.packagePath}; the first build takes minutes`);
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

/** Builds one binary in a temp dir and renames it into `finalDir`, so it appears whole or not at all. */
async function buildAndLand(
  binary: ControlPlaneBinary,
  finalDir: string,
  cacheRoot: string,
  versions: ControlPlaneVersions,
  go: { readonly binary: string; readonly version: string },
  options: Required<Pick<BuildOptions, 'moduleDir' | 'log'>>,
): Promise<BinaryBuild> {
  const started = Date.now();
  const tempDir = await mkdtemp(join(cacheRoot, `.build-${versions.kubernetes}-`));
  try {
    await runBuild(
      buildTarget(binary, versions),
      tempDir,
      options.moduleDir,
      go.binary,
      options.log,
      versions,
    );
    await mkdir(finalDir, { recursive: true });
    await rename(join(tempDir, binary), join(finalDir, binary));
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
  return {
    version: versionOf(binary, versions),
    goVersion: go.version,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** Adds one landed binary to the manifest, replaced whole by a rename. */
async function recordBuild(
  dir: string,
  versions: ControlPlaneVersions,
  binary: ControlPlaneBinary,
  build: BinaryBuild,
): Promise<void> {
  const binaries = { ...readManifest(dir)?.binaries, [binary]: build };
  const manifest: BuildManifest = { kubernetes: versions.kubernetes, etcd: binaries.etcd?.version, binaries };
  const temp = join(dir, `.${MANIFEST}.${process.pid}`);
  await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temp, join(dir, MANIFEST));
}

/**
 * Makes sure the cache holds the binaries asked for (by default kube-apiserver, etcd and kubectl) at
 * the pinned versions, building those it lacks and leaving the others as they are.
 */
export async function ensureControlPlaneBuilt(options: BuildOptions = {}): Promise<BuildResult> {
  const started = Date.now();
  const moduleDir = options.moduleDir ?? CONTROL_PLANE_MODULE_DIR;
  const cacheRoot = options.cacheRoot ?? controlPlaneCacheRoot();
  const goBinary = options.goBinary ?? 'go';
  const log = options.log ?? logToStderr;
  const wanted = options.binaries ?? CONTROL_PLANE_BINARIES;
  const versions = readControlPlaneVersions(moduleDir);
  const finalDir = cachedBinariesDir(versions, cacheRoot);
  const missing = () => {
    const { present } = cachedBinaries(versions, cacheRoot);
    return CONTROL_PLANE_BINARIES.filter((binary) => wanted.includes(binary) && !present.has(binary));
  };
  const result = (built: readonly ControlPlaneBinary[]): BuildResult => ({
    dir: finalDir,
    kubeApiServer: join(finalDir, KUBE_APISERVER),
    etcd: join(finalDir, ETCD),
    kubectl: join(finalDir, KUBECTL),
    versions,
    built,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });

  if (missing().length === 0) return result([]);
  await mkdir(cacheRoot, { recursive: true });
  return withFileLock(join(cacheRoot, `${versions.kubernetes}.lock`), log, async () => {
    // Another process may have built some of them while we waited for the lock.
    const toBuild = missing();
    if (toBuild.length === 0) return result([]);
    const go = { binary: goBinary, version: await goVersion(goBinary, moduleDir) };
    for (const binary of toBuild) {
      const build = await buildAndLand(binary, finalDir, cacheRoot, versions, go, { moduleDir, log });
      await recordBuild(finalDir, versions, binary, build);
    }
    return result(toBuild);
  });
}
