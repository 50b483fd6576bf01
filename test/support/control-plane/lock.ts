/**
 * An exclusive lock file (O_EXCL create) so that two processes never build at once.
 * A lock whose holder is gone (same host, dead pid) or that is very old is taken over.
 * Correctness does not depend on it: builds land with an atomic rename; the lock only avoids double work.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

const POLL_MS = 1000;
const REPORT_EVERY_MS = 30_000;
const ABANDONED_AFTER_MS = 3 * 3600 * 1000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

async function isStale(lockPath: string, holder: LockHolder | undefined): Promise<boolean> {
  if (holder && holder.host === hostname()) return !isAlive(holder.pid);
  try {
    const { mtimeMs } = await stat(lockPath);
    return Date.now() - mtimeMs > ABANDONED_AFTER_MS;
  } catch {
    return false; // gone already: the next attempt will create it
  }
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx');
    const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    try {
      await handle.writeFile(JSON.stringify(holder));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create lock file ${lockPath}`, { cause: error });
  }
}

/** Runs `fn` while holding `lockPath`; `onWait` hears about the holder while waiting. */
export async function withFileLock<T>(
  lockPath: string,
  onWait: (message: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  let lastReport = 0;
  while (!(await tryAcquire(lockPath))) {
    const holder = await readHolder(lockPath);
    if (await isStale(lockPath, holder)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() - lastReport >= REPORT_EVERY_MS) {
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'another process';
      onWait(`waiting for ${who} (lock ${lockPath})`);
      lastReport = Date.now();
    }
    await sleep(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
