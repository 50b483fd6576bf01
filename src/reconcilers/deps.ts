import type { CloudAccount } from '../api/index.js';
import type { ProviderRegistry } from '../providers/provider.js';
import type { Clock } from '../runtime/clock.js';
import type { ClusterReader, ClusterWriter, EventRecorder, ServiceAccounts } from './ports.js';

/** Everything a reconciler talks to, injected. */
export interface ReconcilerDeps {
  cluster: ClusterReader;
  writer: ClusterWriter;
  serviceAccounts: ServiceAccounts;
  events: EventRecorder;
  providers: ProviderRegistry;
  clock: Clock;
  /** Names this cluster in cloud ownership tags and deterministic names. */
  clusterName: string;
  /** For the jitter of usage reviews; Math.random when unset. */
  random?: () => number;
  /** The jittered delay until objects of this account are observed again. */
  resyncAfter(account: CloudAccount | undefined): number;
}
