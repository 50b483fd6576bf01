import type { Logger } from 'pino';
import type { DashboardConfig } from '../config.js';
import type { KubeClient } from '../kube-api/client.js';
import type { KubeConnection } from '../kube-api/connection.js';
import { KubeListWatch } from '../kube-api/list-watch.js';
import type { Manager } from '../manager.js';
import type { Clock } from '../runtime/clock.js';
import { Informer } from '../runtime/informer.js';
import { TokenBucket } from '../runtime/token-bucket.js';
import type { RecentChanges } from '../views/index.js';
import { AccessReviewer } from './access-review.js';
import { defaultAssetsDir, loadAssets } from './assets.js';
import { kubeReviews } from './kube-reviews.js';
import { type EventObject, LiveReadModel } from './live-model.js';
import { startDashboardServer } from './server.js';

/** The Events the operator writes (events.k8s.io/v1, reportingController keyless.dev/operator), in every namespace. */
export const KEYLESS_EVENTS = {
  path: '/apis/events.k8s.io/v1/events',
  fieldSelector: 'reportingController=keyless.dev/operator',
};

export interface DashboardOptions {
  config: DashboardConfig;
  connection: KubeConnection;
  client: KubeClient;
  manager: Manager;
  changes: RecentChanges;
  clock: Clock;
  logger: Logger;
  /** Where the built assets are; default dist/dashboard/ in the package. */
  assetsDir?: string;
}

export interface RunningDashboardProcess {
  readonly port: number;
  readonly live: LiveReadModel;
  /** Tells the live model that a cloud change was audited. */
  cloudChanged(): void;
  close(): Promise<void>;
}

/**
 * The dashboard beside the operator: an informer of Keyless's Events (the one watch it adds), the
 * live read model over it and the manager's caches, the token reviewer when a token is asked for,
 * and the listener.
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboardProcess> {
  const { config, manager, clock, logger } = options;
  const events = new Informer<EventObject>({
    name: 'Event',
    source: new KubeListWatch<EventObject>({ connection: options.connection, ...KEYLESS_EVENTS }),
    logger: logger.child({ component: 'dashboard' }),
    clock,
  });
  const live = new LiveReadModel({
    accounts: manager.informers.accounts,
    identities: manager.informers.identities,
    bindings: manager.informers.bindings,
    events,
    changes: options.changes,
    clock,
  });
  const reviewer =
    config.auth === 'token'
      ? new AccessReviewer({
          reviews: kubeReviews(options.client),
          clock,
          cacheMs: config.reviewCacheMs,
          budget: new TokenBucket({ qps: 20, burst: 100, clock }),
        })
      : undefined;
  events.start();
  try {
    const server = await startDashboardServer({
      host: config.host,
      port: config.port,
      live,
      reviewer,
      assets: loadAssets(options.assetsDir ?? defaultAssetsDir()),
      clock,
      logger,
    });
    return {
      port: server.port,
      live,
      cloudChanged: () => live.cloudChanged(),
      close: async () => {
        live.close();
        events.stop();
        await server.close();
      },
    };
  } catch (err) {
    live.close();
    events.stop();
    throw err;
  }
}
