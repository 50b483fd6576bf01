/** Polling until a probe succeeds, giving up early when the process it waits for has exited. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagedProcess } from './processes.js';

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Stop waiting (and fail) when this process exits. */
  readonly process: ManagedProcess;
}

/**
 * Calls `probe` until it returns without throwing; a throw means "not yet", and the last one is
 * reported if the process exits or the time runs out.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'no attempt finished';
  for (let attempt = 0; ; attempt++) {
    if (options.process.exitStatus) {
      throw new Error(`${options.process.describeExit()} while waiting for ${what} (last: ${lastProblem})`);
    }
    try {
      return await probe();
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${what} (last: ${lastProblem})`,
      );
    }
    await sleep(attempt < 20 ? 100 : 500);
  }
}
