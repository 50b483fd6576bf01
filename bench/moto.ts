import { readdirSync, readFileSync } from 'node:fs';
import { type FaultProxy, startFaultProxy } from '../test/support/fault-proxy/index.js';
import { lastAccessedShim } from '../test/support/last-accessed-shim.js';
import { resolveMoto } from '../test/support/moto/provided.js';
import { type Moto, startMoto } from '../test/support/moto/server.js';
import { cpuSecondsOfPid, round } from './proc.js';

/**
 * moto, as the integration tests run it (test/support/aws-harness.ts), behind the fault proxy that
 * counts its calls by action, with IAM's service-last-accessed calls (which moto lacks, and the
 * usage review makes) answered by the proxy with an empty report.
 */
export interface MotoCloud {
  moto: Moto;
  /** The endpoint the operator and the baseline call: its counts are the IAM and STS calls by action. */
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/**
 * Starts moto from the project's install in ~/.cache/keyless, installing it first when it is not
 * there (test/support/moto/install.ts, as the integration tests' global setup and the demo do).
 * Returns the reason instead when it cannot be installed (no Python with venv and pip): the
 * benchmark then skips its moto scenario.
 */
export async function startMotoCloud(): Promise<MotoCloud | { unavailable: string }> {
  const availability = await resolveMoto();
  if (availability.kind === 'unavailable') return { unavailable: availability.reason };
  const moto = await startMoto({ python: availability.python });
  try {
    const proxy = await startFaultProxy({ target: moto.endpoint });
    lastAccessedShim(proxy).answer([]);
    return {
      moto,
      proxy,
      stop: async () => {
        await proxy.stop();
        await moto.stop();
      },
    };
  } catch (err) {
    await moto.stop();
    throw new Error('cannot start the fault proxy in front of moto', { cause: err });
  }
}

/** CPU seconds moto's server process (`python -m moto.server ... --port PORT`) has used so far. */
export function motoCpuSeconds(port: number): number {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const portAt = args.indexOf('--port');
      if (args.includes('moto.server') && portAt !== -1 && args[portAt + 1] === String(port))
        return cpuSecondsOfPid(Number(pid));
    } catch {
      // The process ended while being read.
    }
  }
  return Number.NaN;
}

/** The account check's actions: once per operator start, not per role. */
export const ACCOUNT_ACTIONS = new Set([
  'GetCallerIdentity',
  'GetOpenIDConnectProvider',
  'CreateOpenIDConnectProvider',
  'AddClientIDToOpenIDConnectProvider',
]);

/** Every action but the account check's, per role. */
export function perRole(calls: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [action, count] of Object.entries(calls)) {
    if (!ACCOUNT_ACTIONS.has(action)) out[action] = round(count / n, 3);
  }
  return out;
}
