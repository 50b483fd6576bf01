/**
 * `ensureMoto()`: a Python venv with the pinned moto in the cache, installed on first use.
 *
 * The venv is built in a temp dir next to its final place and renamed into place, under a lock file
 * so that two processes never install at once. A venv is not relocatable as a whole (the scripts in
 * `bin/` name the temp path), but its interpreter is: `venv/bin/python -m moto.server` works after
 * the rename, and that is the only way the harness runs it.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../control-plane/lock.js';
import { findOnPath } from '../control-plane/which.js';
import {
  findCachedMoto,
  MANIFEST,
  MOTO_REQUIREMENTS,
  MOTO_VERSION,
  type MotoManifest,
  motoCacheRoot,
  motoInstallDir,
  venvPython,
} from './cache.js';
import { describeFailure, type RunResult, run } from './run.js';

export interface EnsureMotoOptions {
  /** Defaults to `$XDG_CACHE_HOME/keyless/moto`. */
  readonly cacheRoot?: string;
  /** The interpreter the venv is made from; defaults to `KEYLESS_PYTHON`, else `python3` on PATH. */
  readonly python?: string;
  /** Progress lines; defaults to stderr. */
  readonly log?: (line: string) => void;
}

export interface MotoInstall {
  /** The venv's interpreter: run moto as `<python> -m moto.server`. */
  readonly python: string;
  readonly version: string;
  /** False when the cache already had it. */
  readonly installed: boolean;
  readonly seconds: number;
}

/**
 * Python 3.10+ with venv and pip is missing: a reason to skip locally (not under CI=true), unlike a
 * failing `pip install`, which is an error.
 */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
}

export const HOW_TO_ENABLE_MOTO =
  'install Python 3.10+ with venv and pip (Debian/Ubuntu: apt-get install python3-venv), or point KEYLESS_PYTHON at one';

const MIN_PYTHON: readonly [number, number] = [3, 10];
const HEARTBEAT_MS = 15_000;

const logToStderr = (line: string): void => {
  process.stderr.write(`[moto] ${line}\n`);
};

const seconds = (since: number): number => Math.round((Date.now() - since) / 100) / 10;

/** The interpreter to make the venv from; `explicit` when configured rather than found on PATH. */
interface BasePython {
  readonly command: string;
  readonly explicit: boolean;
}

function basePython(options: EnsureMotoOptions): BasePython {
  const configured = options.python ?? process.env.KEYLESS_PYTHON;
  if (configured) return { command: configured, explicit: true };
  const found = findOnPath('python3');
  if (!found) throw new MotoUnavailableError(`no python3 on PATH; ${HOW_TO_ENABLE_MOTO}`);
  return { command: found, explicit: false };
}

/** A Python that cannot make the venv: a reason to skip, unless it was configured explicitly (a mistake). */
function unusable(python: BasePython, message: string, cause?: unknown): Error {
  return python.explicit
    ? new Error(`${message} (configured by KEYLESS_PYTHON or the python option)`, { cause })
    : new MotoUnavailableError(`${message}; ${HOW_TO_ENABLE_MOTO}`, { cause });
}

async function pythonVersion(python: BasePython): Promise<string> {
  const args = ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'];
  let result: RunResult;
  try {
    result = await run(python.command, args);
  } catch (cause) {
    throw unusable(python, `cannot run ${python.command}`, cause);
  }
  if (result.code !== 0) throw unusable(python, describeFailure(python.command, args, result));
  const version = result.stdout.trim();
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw unusable(
      python,
      `${python.command} is Python ${version}; moto ${MOTO_VERSION} needs ${MIN_PYTHON.join('.')}+`,
    );
  }
  return version;
}

/** The moto version the interpreter imports, or why it cannot. */
export async function importedMotoVersion(python: string): Promise<{ version?: string; problem?: string }> {
  const args = ['-c', 'import moto; print(moto.__version__)'];
  const result = await run(python, args).catch((error: Error) => ({ error }));
  if ('error' in result) return { problem: result.error.message };
  if (result.code !== 0) return { problem: describeFailure(python, args, result) };
  return { version: result.stdout.trim() };
}

async function closeStream(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(resolve);
  });
}

/** Runs one install step, its output going to `install.log`; throws with the output's tail on failure. */
async function step(
  what: string,
  command: string,
  args: readonly string[],
  logFile: WriteStream,
  log: (line: string) => void,
  failure: (message: string) => Error,
): Promise<RunResult> {
  const started = Date.now();
  let lastLine = '';
  const heartbeat = setInterval(() => {
    log(`still ${what} (${Math.round(seconds(started))}s): ${lastLine}`);
  }, HEARTBEAT_MS);
  try {
    logFile.write(`$ ${[command, ...args].join(' ')}\n`);
    const result = await run(command, args, {
      log: logFile,
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' },
      onLine: (line) => {
        lastLine = line.trim();
      },
    });
    if (result.code !== 0) throw failure(describeFailure(command, args, result));
    return result;
  } finally {
    clearInterval(heartbeat);
  }
}

async function installInto(
  tempDir: string,
  python: BasePython,
  log: (line: string) => void,
): Promise<Omit<MotoManifest, 'installedAt' | 'installSeconds'>> {
  const pythonVersionText = await pythonVersion(python);
  const venvDir = join(tempDir, 'venv');
  const venvPy = join(venvDir, 'bin', 'python');
  const logFile = createWriteStream(join(tempDir, 'install.log'));
  try {
    log(`creating a venv with ${python.command} (Python ${pythonVersionText})`);
    await step('creating the venv', python.command, ['-m', 'venv', venvDir], logFile, log, (message) => {
      return unusable(python, message);
    });
    log(`pip install ${MOTO_REQUIREMENTS.join(' ')}`);
    const pipArgs = ['-m', 'pip', 'install', '--progress-bar', 'off', ...MOTO_REQUIREMENTS];
    await step('installing moto', venvPy, pipArgs, logFile, log, (message) => {
      return new Error(`installing moto failed: ${message}`);
    });
    const imported = await importedMotoVersion(venvPy);
    if (imported.version !== MOTO_VERSION) {
      throw new Error(
        `the new venv imports moto ${imported.version ?? `not at all (${imported.problem})`}, not ${MOTO_VERSION}`,
      );
    }
    const freeze = await step('listing packages', venvPy, ['-m', 'pip', 'freeze'], logFile, log, (m) => {
      return new Error(m);
    });
    return {
      motoVersion: MOTO_VERSION,
      requirements: MOTO_REQUIREMENTS,
      pythonVersion: pythonVersionText,
      packages: freeze.stdout.trim().split('\n'),
    };
  } finally {
    await closeStream(logFile);
  }
}

async function installMoto(
  finalDir: string,
  cacheRoot: string,
  python: BasePython,
  log: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  const tempDir = await mkdtemp(join(cacheRoot, `.install-${MOTO_VERSION}-`));
  try {
    const manifest: MotoManifest = {
      ...(await installInto(tempDir, python, log)),
      installedAt: new Date().toISOString(),
      installSeconds: seconds(started),
    };
    await writeFile(join(tempDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await chmod(tempDir, 0o755); // mkdtemp made it 0700
    // An incomplete or outdated install (other requirements, a vanished interpreter) is replaced.
    await rm(finalDir, { recursive: true, force: true });
    await rename(tempDir, finalDir);
    log(`installed moto ${MOTO_VERSION} in ${manifest.installSeconds}s (${finalDir})`);
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

/** The cached install when it is complete and its interpreter really imports the pinned moto. */
async function verifiedCachedMoto(
  cacheRoot: string,
  log: (line: string) => void,
): Promise<string | undefined> {
  const cached = findCachedMoto(cacheRoot);
  if (!cached) return undefined;
  const imported = await importedMotoVersion(cached.python);
  if (imported.version === MOTO_VERSION) return cached.python;
  log(
    `the cached venv does not import moto ${MOTO_VERSION} (${imported.version ?? imported.problem}); reinstalling`,
  );
  return undefined;
}

/** Makes sure the cache holds a venv with the pinned moto, installing it if needed (about 10-60 s). */
export async function ensureMoto(options: EnsureMotoOptions = {}): Promise<MotoInstall> {
  const started = Date.now();
  const cacheRoot = options.cacheRoot ?? motoCacheRoot();
  const log = options.log ?? logToStderr;
  const finalDir = motoInstallDir(MOTO_VERSION, cacheRoot);
  const result = (installed: boolean): MotoInstall => ({
    python: venvPython(finalDir),
    version: MOTO_VERSION,
    installed,
    seconds: seconds(started),
  });

  if (await verifiedCachedMoto(cacheRoot, log)) return result(false);
  const python = basePython(options);
  await mkdir(cacheRoot, { recursive: true });
  return withFileLock(join(cacheRoot, `${MOTO_VERSION}.lock`), log, async () => {
    // Another process may have installed it while we waited for the lock.
    if (await verifiedCachedMoto(cacheRoot, () => {})) return result(false);
    await installMoto(finalDir, cacheRoot, python, log);
    return result(true);
  });
}
