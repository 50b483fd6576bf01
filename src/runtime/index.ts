export { exponentialDelay, jitter } from './backoff.js';
export { type Clock, realClock } from './clock.js';
export {
  Controller,
  type ControllerOptions,
  type Reconcile,
  type ReconcileContext,
  type ReconcileResult,
} from './controller.js';
export { type ControllerMetrics, noControllerMetrics, type ReconcileOutcome } from './controller-metrics.js';
export { asError, retryAfterMsOf, TerminalError, terminalErrorIn } from './errors.js';
export { FakeClock, flushPromises } from './fake-clock.js';
export { Informer, type InformerHandlers, type InformerOptions } from './informer.js';
export { apiErrorFromResponse, KubeApiError } from './kube-api-error.js';
export { KubeClient } from './kube-client.js';
export { KubeListWatch, type KubeListWatchOptions } from './kube-list-watch.js';
export { type KubeObject, type KubeStatus, keyOf, type ObjectMeta, parseKey } from './kube-object.js';
export type {
  ListResult,
  ListWatchSource,
  WatchEvent,
  WatchEventType,
  WatchHandle,
} from './list-watch-source.js';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialBackoffLimiter,
  maxOf,
  type RateLimiter,
} from './rate-limiter.js';
export { isResourceExpired } from './resource-expired.js';
export { type Indexer, type ReadonlyStore, type ReplaceDiff, Store, sameResourceVersion } from './store.js';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
