import type { BenchResults, CpuProfileSummary } from '../results.js';
import { perPair, statusAndFinalizerPerObject } from './format.js';
import { checkTargets, headlineThrottled, largest } from './targets.js';

const MB = 1024 * 1024;
/** Native frames of a TLS handshake: a new connection (and SecureContext) per request. */
const TLS_FRAMES = new Set([
  'getPeerCertificate',
  'addCACert',
  'init',
  'start',
  'connect',
  'setCiphers',
  'destroySSL',
  'shutdown',
  'setKey',
  'setCert',
]);

/**
 * For each missed target: what the figures of this run say limits it, and what would fix it.
 * Every claim is conditioned on this run's evidence (profile shares, CPU seconds, write counts).
 */
export function notesFor(results: BenchResults): string[] {
  const notes: string[] = [];
  const point = largest(results);
  const restart = results.restart;
  const profile = results.cpuProfile;
  for (const check of checkTargets(results)) {
    if (check.met !== false) continue;
    switch (check.id) {
      case 'ratio': {
        if (!point) break;
        const { operator } = point;
        const cp = Object.values(operator.cpuSeconds.controlPlane).reduce((a, b) => a + b, 0);
        const busy = (operator.cpuSeconds.operator + cp) / (operator.seconds * results.machine.cores);
        const kubeCalls = Object.values(operator.kubeRequests).reduce((a, b) => a + b, 0) / point.objects;
        const tls = tlsShare(profile);
        notes.push(
          `**Converge ratio ${point.ratio.toFixed(2)}×.** The baseline makes 2 cloud calls per object and nothing else; ` +
            `Keyless also makes ${kubeCalls.toFixed(1)} Kubernetes requests per object, in series inside each reconcile, ` +
            `and the run kept the machine ${Math.round(busy * 100)}% busy (operator ${operator.cpuSeconds.operator} CPU s, ` +
            `control plane ${cp.toFixed(1)} CPU s in ${operator.seconds} s on ${results.machine.cores} cores).` +
            (tls > 0.2
              ? ` The profile shows ${Math.round(tls * 100)}% of the operator's CPU in TLS handshakes ` +
                '(getPeerCertificate, addCACert, SecureContext init): client-node’s `applyToHTTPSOptions` builds a new ' +
                '`https.Agent` on every call, so every request of `KubeClient` opens a new TLS connection. ' +
                'Fix: one keep-alive Agent per TLS configuration in `KubeClient` (bench/src-changes.patch; measured ' +
                'effect in bench/README.md), then fewer writes per object (below).'
              : ' Fix: fewer Kubernetes round trips per reconcile (below), or more workers.'),
        );
        break;
      }
      case 'kubeWrites': {
        if (!point) break;
        notes.push(
          `**${point.operator.kubeWritesPerObject} API-server writes per object** (status and finalizer: ` +
            `${statusAndFinalizerPerObject(point)}). Per WorkloadIdentity + ` +
            `IdentityBinding pair, from the API server's own metrics: ${perPair(point.operator.apiServerWrites, point.n)}. Beyond status and finalizer: an Event ` +
            '(`Created`) per object, the ServiceAccount apply per identity, and a status write per binding that finds its ' +
            'identity not Ready yet (every binding is reconciled once before its identity converges). Fix: no waiting ' +
            'status for a binding whose identity has not been reconciled yet (bench/src-changes.patch); Events and the ' +
            'ServiceAccount apply are by design and the issue’s "status and finalizer" does not count them.',
        );
        break;
      }
      case 'rss': {
        if (!point) break;
        const { before, after, cloudHeapBytes } = point.operator.memory;
        notes.push(
          `**RSS ${Math.round(after.rss / MB)} MB at N = ${point.n.toLocaleString('en-US')}.** ` +
            `${Math.round(before.rss / MB)} MB are there before any object (heap ${Math.round(before.heapUsed / MB)} MB): ` +
            'Node plus the modules the operator imports at start, every cloud SDK and client-node, whose `KubeConfig` ' +
            'pulls in its whole generated API (about 70 MB of RSS on its own). After converging: heap used ' +
            `${Math.round(after.heapUsed / MB)} MB of ${Math.round(after.heapTotal / MB)} MB reserved, external ` +
            `${Math.round(after.external / MB)} MB; the in-memory cloud's contents are ${Math.round(cloudHeapBytes / MB)} MB of that heap. ` +
            'The rest is memory the allocator keeps after short-lived allocations (a TLS context per request, see ' +
            'above), and each cached object’s `managedFields`, which Keyless never reads. Fix: reuse connections and ' +
            'drop managedFields (bench/src-changes.patch); import each cloud SDK only when an account of that cloud ' +
            'exists; read kubeconfig without client-node’s generated API.',
        );
        break;
      }
      case 'throttled': {
        const t = headlineThrottled(results);
        if (!t) break;
        const noLimiter = results.throttled.find((r) => r.limiter === 'none');
        notes.push(
          `**Throttled ${Math.round(t.operator.fractionOfCeiling * 100)}% of the ceiling with the providers’ default limiter** ` +
            `(baseline with the same limiter: ${Math.round(t.baseline.fractionOfCeiling * 100)}%). The client-side bucket ` +
            '(10/s, burst 20) is shared by reads and writes, and a converge costs one read and one write, so the client ' +
            'allows 5 objects/s while the cloud allows 10 writes/s and 25 reads/s. ' +
            (noLimiter
              ? `Without a client-side limiter Keyless reaches ${Math.round(noLimiter.operator.fractionOfCeiling * 100)}% ` +
                `at ${noLimiter.operator.retries.throttledCallsPerObject} throttled calls per object. `
              : '') +
            'Fix: separate read and write buckets sized from the cloud’s documented quotas (configurable per ' +
            'CloudAccount), so the limiter never stops a call the cloud would accept (bench/src-changes.patch).',
        );
        break;
      }
      case 'spread': {
        if (!restart) break;
        notes.push(
          `**A restart re-observes everything at once**: ${Math.round(restart.spread.firstTenthShare * 100)}% of the ` +
            `objects were re-observed in the first tenth of the ${restart.resyncSeconds} s interval (all ` +
            `${(restart.n * 2).toLocaleString('en-US')} within ${restart.passSeconds ?? '?'} s, as fast as the workers go). ` +
            'Every informer add enqueues its object at once, and each object then resyncs 0.8–1.0 intervals later, so ' +
            'the burst recurs every interval. Fix: on start, enqueue objects that are Ready at their generation after a ' +
            'random delay within the resync interval (new or changed objects at once): bench/src-changes.patch.',
        );
        break;
      }
      case 'restartWrites':
      case 'resync':
        notes.push(
          `**${check.target}: ${check.figure}.** See the restart section for the calls by operation.`,
        );
        break;
    }
  }
  return notes;
}

/** Share of the operator's busy CPU in native TLS handshake frames. */
export function tlsShare(profile: CpuProfileSummary | undefined): number {
  if (!profile) return 0;
  return profile.topFunctions
    .filter((f) => f.where.startsWith('(native)') && TLS_FRAMES.has(f.name))
    .reduce((sum, f) => sum + f.share, 0);
}

export function isMissed(results: BenchResults): boolean {
  return checkTargets(results).some((c) => c.met === false) || largest(results) === undefined;
}
