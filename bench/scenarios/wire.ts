import { MemoryCloud } from '../../src/providers/memory/memory-cloud.js';
import { azureClients, startAzureFake } from '../../test/support/azure-fake/index.js';
import { pool } from '../pool.js';
import { round } from '../proc.js';
import type { WireProbe } from '../results.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const TENANT = '00000000-0000-0000-0000-0000000000aa';
const GROUP = 'bench';
const IDENTITIES = 200;
const CONCURRENCY = 8;

/**
 * Is the wire-level fake fast enough to stand in for the cloud at scale? The real Azure SDK against
 * the ARM fake (create + get per identity, HTTPS on loopback, client and fake in this process),
 * against the same number of calls on a MemoryCloud without latency.
 */
export async function runWireProbe(): Promise<WireProbe> {
  console.log(`[bench] wire probe: ${2 * IDENTITIES} Azure SDK calls against the ARM fake`);
  const fake = await startAzureFake({
    subscriptions: [{ subscriptionId: SUBSCRIPTION, tenantId: TENANT, resourceGroups: [GROUP] }],
  });
  const names = Array.from({ length: IDENTITIES }, (_, i) => `bench-${i}`);
  try {
    const { msi } = azureClients(fake, { subscriptionId: SUBSCRIPTION });
    // Warm up connections and lazy SDK code outside the measurement.
    await msi.userAssignedIdentities.createOrUpdate(GROUP, 'warm-up', { location: 'westeurope' });
    const wire = await measure(names, async (name) => {
      await msi.userAssignedIdentities.createOrUpdate(GROUP, name, { location: 'westeurope' });
      await msi.userAssignedIdentities.get(GROUP, name);
    });
    const cloud = new MemoryCloud();
    const stored = new Map<string, string>();
    const memory = await measure(names, async (name) => {
      await cloud.call('CreateIdentity', name, () => stored.set(name, name));
      await cloud.call('GetIdentity', name, () => stored.get(name));
    });
    return {
      calls: 2 * IDENTITIES,
      concurrency: CONCURRENCY,
      callsPerSecond: round(wire.callsPerSecond, 0),
      cpuMsPerCall: round(wire.cpuMsPerCall, 3),
      memoryCallsPerSecond: round(memory.callsPerSecond, 0),
      memoryCpuMsPerCall: round(memory.cpuMsPerCall, 4),
    };
  } finally {
    await fake.stop();
  }
}

async function measure(
  names: string[],
  pair: (name: string) => Promise<void>,
): Promise<{ callsPerSecond: number; cpuMsPerCall: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await pool(names, CONCURRENCY, pair);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const calls = 2 * names.length;
  return { callsPerSecond: calls / seconds, cpuMsPerCall: (used.user + used.system) / 1000 / calls };
}
