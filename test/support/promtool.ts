/**
 * `ensurePromtool()`: Prometheus's promtool, the tool users check and unit-test alerting rules
 * with, taken from Debian's `prometheus` package into the cache on first use.
 *
 * The package is fetched with `apt-get download` (no root needed while apt's package lists are
 * present; as root, a missing list is fetched with `apt-get update` first) and only `promtool` is
 * unpacked from it, into `$XDG_CACHE_HOME/keyless/promtool/<package version>/promtool`, under a
 * lock file and with an atomic rename. `KEYLESS_PROMTOOL` names a promtool to use instead.
 */
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutable } from './control-plane/cache.js';
import { withFileLock } from './control-plane/lock.js';
import { findOnPath } from './control-plane/which.js';
import { describeFailure, type RunResult, run } from './moto/run.js';

const PACKAGE = 'prometheus';

export const HOW_TO_GET_PROMTOOL =
  "promtool comes from Debian's prometheus package: on Debian or Ubuntu with apt (as root, or with apt's package lists present) the tests fetch it themselves; elsewhere point KEYLESS_PROMTOOL at a promtool 2.x";

const log = (line: string): void => {
  process.stderr.write(`[promtool] ${line}\n`);
};

export function promtoolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'keyless', 'promtool');
}

/** A promtool unpacked earlier (the last version in name order, should there be several). */
async function cachedPromtool(root: string): Promise<string | undefined> {
  const versions = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new Error(`cannot read ${root}`, { cause: err });
  });
  const found = versions
    .filter((version) => !version.startsWith('.'))
    .sort()
    .reverse()
    .map((version) => join(root, version, 'promtool'))
    .find(isExecutable);
  return found;
}

/** The path of promtool: `KEYLESS_PROMTOOL`, the cache, or unpacked from Debian's package first. */
export async function ensurePromtool(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configured = env.KEYLESS_PROMTOOL;
  if (configured) {
    if (!isExecutable(configured)) throw new Error(`KEYLESS_PROMTOOL=${configured} is not an executable`);
    return configured;
  }
  const root = promtoolCacheRoot(env);
  const cached = await cachedPromtool(root);
  if (cached) return cached;
  await mkdir(root, { recursive: true });
  return withFileLock(join(root, 'install.lock'), log, async () => {
    const again = await cachedPromtool(root);
    if (again) return again;
    return install(root);
  });
}

async function install(root: string): Promise<string> {
  const aptGet = findOnPath('apt-get');
  const dpkgDeb = findOnPath('dpkg-deb');
  if (!aptGet || !dpkgDeb)
    throw new Error(`promtool is needed and apt-get or dpkg-deb is missing: ${HOW_TO_GET_PROMTOOL}`);
  const started = Date.now();
  const work = await mkdtemp(join(root, '.install-'));
  try {
    const deb = await download(aptGet, work);
    const version = deb.replace(/^prometheus_/, '').replace(/_[^_]+\.deb$/, '');
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    const extract = await run('sh', [
      '-c',
      'dpkg-deb --fsys-tarfile "$1" | tar -xf - -C "$2" ./usr/bin/promtool',
      'sh',
      join(work, deb),
      unpacked,
    ]);
    if (extract.code !== 0) throw new Error(describeFailure('dpkg-deb | tar', [deb], extract));
    const binary = join(unpacked, 'usr', 'bin', 'promtool');
    const check = await run(binary, ['--version']);
    if (check.code !== 0) throw new Error(describeFailure(binary, ['--version'], check));
    const finalDir = join(root, version);
    const staged = join(work, version);
    await mkdir(staged);
    await rename(binary, join(staged, 'promtool'));
    await rm(finalDir, { recursive: true, force: true });
    await rename(staged, finalDir);
    log(`unpacked promtool ${version} from Debian's ${PACKAGE} package in ${(Date.now() - started) / 1000}s`);
    return join(finalDir, 'promtool');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `apt-get download prometheus` into `dir`; the .deb's file name. */
async function download(aptGet: string, dir: string): Promise<string> {
  let result: RunResult = await run(aptGet, ['download', PACKAGE], { cwd: dir });
  if (result.code !== 0 && process.getuid?.() === 0) {
    log(`apt-get download ${PACKAGE} failed; refreshing apt's package lists (apt-get update)`);
    const update = await run(aptGet, ['update']);
    if (update.code !== 0) throw new Error(describeFailure(aptGet, ['update'], update));
    result = await run(aptGet, ['download', PACKAGE], { cwd: dir });
  }
  if (result.code !== 0) {
    throw new Error(`${describeFailure(aptGet, ['download', PACKAGE], result)}\n${HOW_TO_GET_PROMTOOL}`);
  }
  const deb = (await readdir(dir)).find((name) => name.startsWith(`${PACKAGE}_`) && name.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${PACKAGE} left no .deb in ${dir}`);
  return deb;
}

/** promtool's own outcome: its exit code and everything it printed. */
export interface PromtoolResult {
  code: number | null;
  output: string;
}

/**
 * Runs promtool with `args`, in `cwd` (rule tests name their rule files relative to it), with
 * `input` on its standard input (`check metrics` reads an exposition there).
 */
export async function promtool(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<PromtoolResult> {
  const binary = await ensurePromtool();
  const result = await run(binary, args, { tailLines: 2000, ...options });
  return { code: result.code, output: result.tail.join('\n') };
}
