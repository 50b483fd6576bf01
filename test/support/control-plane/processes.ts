/**
 * Child processes (etcd, kube-apiserver) that never outlive the test process:
 * - each runs in its own process group (so a stop kills the whole group) with output to a log file;
 * - a `process.on('exit')` hook SIGKILLs whatever is still registered;
 * - a watchdog process (watchdog.mjs) does the same, and removes registered directories, when this
 *   process dies without running exit hooks (SIGKILL, a crash, a vitest worker being torn down).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ProcessSpec {
  /** Short name for messages, e.g. `etcd`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here. */
  readonly logPath: string;
}

const WATCHDOG_SCRIPT = fileURLToPath(new URL('./watchdog.mjs', import.meta.url));
const STOP_GRACE_MS = 15_000;

const livePids = new Set<number>();
const ownedDirs = new Set<string>();
let watchdog: ChildProcess | undefined;
let exitHookInstalled = false;

function killGroupNow(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone: nothing to clean up
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of livePids) killGroupNow(pid);
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
}

function startWatchdog(): ChildProcess {
  const child = spawn(process.execPath, [WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('exit', () => {
    if (watchdog === child) watchdog = undefined;
  });
  child.stdin?.on('error', () => {
    // The watchdog died (its 'exit' handler forgets it); the next message starts a new one.
    if (watchdog === child) watchdog = undefined;
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  for (const pid of livePids) child.stdin?.write(`pid ${pid}\n`);
  for (const dir of ownedDirs) child.stdin?.write(`dir ${dir}\n`);
  return child;
}

function tellWatchdog(message: string): void {
  installExitHook();
  if (!watchdog || watchdog.exitCode !== null) watchdog = startWatchdog();
  watchdog.stdin?.write(`${message}\n`);
}

/** Removes `dir` if this process dies before `releaseDirectory(dir)`. */
export function guardDirectory(dir: string): void {
  ownedDirs.add(dir);
  tellWatchdog(`dir ${dir}`);
}

export function releaseDirectory(dir: string): void {
  ownedDirs.delete(dir);
  tellWatchdog(`undir ${dir}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw new Error(`cannot send ${signal} to process group ${pid}`, { cause: error });
    }
  }
}

/** The last `lines` lines of a log file (reads at most its last 64 KiB). */
export async function readLogTail(logPath: string, lines = 40): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(logPath, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(cannot read ${logPath}: ${(error as Error).message})`;
  } finally {
    await handle?.close();
  }
}

export class ManagedProcess {
  readonly exited: Promise<ExitStatus>;
  #exitStatus: ExitStatus | undefined;

  private constructor(
    readonly spec: ProcessSpec,
    readonly pid: number,
    child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exitStatus = { code, signal };
        livePids.delete(pid);
        tellWatchdog(`unpid ${pid}`);
        resolve(this.#exitStatus);
      });
    });
  }

  /** Spawns the process in its own process group; resolves once it is running. */
  static async start(spec: ProcessSpec): Promise<ManagedProcess> {
    const logFd = openSync(spec.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], { stdio: ['ignore', logFd, logFd], detached: true });
    } finally {
      closeSync(logFd);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (cause) =>
        reject(new Error(`cannot start ${spec.name} (${spec.command})`, { cause })),
      );
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${spec.name} started without a pid`);
    livePids.add(pid);
    tellWatchdog(`pid ${pid}`);
    child.unref();
    return new ManagedProcess(spec, pid, child);
  }

  get exitStatus(): ExitStatus | undefined {
    return this.#exitStatus;
  }

  describeExit(): string {
    const status = this.#exitStatus;
    if (!status) return `${this.spec.name} is running`;
    return status.signal
      ? `${this.spec.name} was killed by ${status.signal}`
      : `${this.spec.name} exited with code ${status.code}`;
  }

  /** SIGTERM to the process group, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = STOP_GRACE_MS): Promise<ExitStatus> {
    if (this.#exitStatus) return this.#exitStatus;
    signalGroup(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    try {
      if ((await Promise.race([this.exited, timedOut])) === 'timeout') signalGroup(this.pid, 'SIGKILL');
    } finally {
      clearTimeout(timer);
    }
    return this.exited;
  }

  logTail(lines = 40): Promise<string> {
    return readLogTail(this.spec.logPath, lines);
  }
}
