import type { OperatorHost } from '../host/host-client.js';
import { sleep } from '../pool.js';
import { countsSince, cpuSecondsOfPid, round } from '../proc.js';
import type { IdleResult } from '../results.js';

/**
 * From converged to the window: long enough for the converge's after-effects (the MemoryTrimmer
 * checks every 10 s and may run its one collection) to pass, as a platform team's idle operator is
 * long past its last burst.
 */
export const IDLE_SETTLE_MS = 30_000;
/** The window, as the issue measured it: CPU seconds per 120 s. */
export const IDLE_WINDOW_MS = 120_000;
const PER_SECONDS = 120;

/**
 * The operator left alone with everything converged: its process's CPU over IDLE_WINDOW_MS, read
 * from /proc (nothing is asked of the host in the window: whatever the process does in it, it does
 * of itself), with the Kubernetes requests, cloud calls (`cloudCalls`: the counts so far) and
 * reconciles it made meanwhile.
 */
export async function measureIdle(
  host: OperatorHost,
  cloudCalls: () => Record<string, number>,
): Promise<IdleResult> {
  const pid = host.pid;
  if (pid === undefined) throw new Error('the operator host has no process id');
  await sleep(IDLE_SETTLE_MS);
  const before = await host.send('stats');
  const callsBefore = cloudCalls();
  const cpuBefore = cpuSecondsOfPid(pid);
  const started = Date.now();
  await sleep(IDLE_WINDOW_MS);
  const cpu = cpuSecondsOfPid(pid) - cpuBefore;
  const seconds = (Date.now() - started) / 1000;
  const after = await host.send('stats');
  return {
    settleSeconds: IDLE_SETTLE_MS / 1000,
    seconds: round(seconds, 1),
    cpuSeconds: round(cpu),
    cpuSecondsPer120s: round((cpu * PER_SECONDS) / seconds, 3),
    kubeRequests: countsSince(after.kubeRequests, before.kubeRequests),
    cloudCalls: countsSince(cloudCalls(), callsBefore),
    reconciles: countsSince(after.reconciles, before.reconciles),
  };
}
