import { DEFAULT_CONVERGE_LATENCY_MS } from '../profiles.js';
import type { BenchResults, ConvergePoint, CpuProfileSummary } from '../results.js';
import { cloudWaits, cpuBound, perPair, statusAndFinalizerPerObject } from './format.js';
import { motoNote } from './moto-summary.js';
import { checkTargets, headlineThrottled, judgedMemory, largest, smallPoint, TARGETS } from './targets.js';

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
 * For each missed target: what this run's figures say limits it, and what would fix it. Every
 * claim is conditioned on this run's evidence (profile shares, CPU seconds, write counts).
 */
export function notesFor(results: BenchResults): string[] {
  const notes: string[] = [];
  const point = largest(results);
  for (const check of checkTargets(results)) {
    if (check.met !== false) continue;
    let note: string | undefined;
    switch (check.id) {
      case 'ratio':
        note = point && ratioNote(results, point);
        break;
      case 'kubeWrites':
        note = point && writesNote(point);
        break;
      case 'rss':
        note = point && rssNote(results, point);
        break;
      case 'rssSmall': {
        const small = smallPoint(results);
        note = small && rssNote(results, small);
        break;
      }
      case 'throttled':
        note = throttledNote(results);
        break;
      case 'motoRatio':
      case 'motoIdleRss':
      case 'motoIdleCpu':
      case 'motoDelete':
        note = motoNote(results.moto, check.id, results.machine.cores);
        break;
      case 'spread':
        note = spreadNote(results);
        break;
      case 'delete':
        note = point && deleteNote(point);
        break;
      case 'restartWrites':
      case 'resync':
        note = `**${check.target}: ${check.figure}.** See the restart section for the calls by operation.`;
        break;
    }
    if (note) notes.push(note);
  }
  return notes;
}

function ratioNote(results: BenchResults, point: ConvergePoint): string {
  const { operator } = point;
  const cpu = operator.cpuSeconds;
  const apiserver = cpu.controlPlane['kube-apiserver'] ?? 0;
  const controlPlane = Object.values(cpu.controlPlane).reduce((a, b) => a + b, 0);
  const busy = (cpu.operator + controlPlane + (cpu.others ?? 0)) / (operator.seconds * results.machine.cores);
  const latency = results.settings.convergeLatencyMs ?? DEFAULT_CONVERGE_LATENCY_MS;
  const cloudMs = 2 * latency;
  // Runs before 2026-12-05 have the mean of every identity reconcile, waits included.
  const convergingMs = operator.reconcileMeanMsByResult?.['WorkloadIdentity requeue'];
  const identityMs = convergingMs ?? operator.reconcileMeanMs?.WorkloadIdentity;
  const tls = tlsShare(results.cpuProfile);
  const parts = [
    `**Converge ratio ${point.ratio.toFixed(2)}×.** The baseline spends 2 × ${latency} ms in the cloud per object and nothing else.`,
  ];
  const { workers, reconcilers } = results.settings;
  if (reconcilers !== undefined) {
    // Each kind's W turns at the gate carry N × 2 calls of `latency` ms: busy for this share of the converge.
    const busyTurns = (point.n * cloudMs) / (workers * operator.seconds * 1000);
    parts.push(
      `It makes them ${workers} at a time per kind. Keyless runs ${reconcilers} reconciles per kind, ${workers} of ` +
        'them in the cloud at once (`--cloud-concurrency`), so that one reconcile’s Kubernetes requests (the ' +
        'ServiceAccount read, the finalizer, the ServiceAccount annotation, the status) go while others are in ' +
        `the cloud. Its ${workers} cloud turns per kind were busy ${Math.round(busyTurns * 100)}% of the converge ` +
        `(${point.n.toLocaleString('en-US')} × ${cloudMs} ms over ${workers} turns in ${operator.seconds} s). They ` +
        `stand idle at the start (first reconcile ${operator.firstReconcileSeconds} s after the operator's) and ` +
        `whenever all ${reconcilers} reconciles of a kind wait on the API server at once.`,
    );
    const late = lateTimersNote(point, latency);
    if (late) parts.push(late);
    if (convergingMs !== undefined) {
      parts.push(pacedBy(convergingMs, reconcilers, workers, point.operator.cloudWaitedMs ?? latency));
    }
  } else if (identityMs) {
    const overhead = identityMs - cloudMs;
    const r = TARGETS.ratio;
    // ratio = cloud ÷ (cloud + overhead): the overhead the target allows, and the latency it needs.
    const allowedMs = (cloudMs * (1 - r)) / r;
    const neededAt = (r * overhead) / (2 * (1 - r));
    parts.push(
      `A WorkloadIdentity reconcile ${convergingMs !== undefined ? 'that converged its identity ' : ''}took ` +
        `${identityMs} ms on average, ${cloudMs} ms of it in the cloud, and the ` +
        `identities are the pipeline's first stage, so the ratio is close to ${cloudMs} / ${identityMs} = ` +
        `${(cloudMs / identityMs).toFixed(2)}. The other ${overhead.toFixed(1)} ms are mostly three API-server ` +
        'writes in series with the cloud calls: the finalizer between the read and the create (nothing deletion ' +
        'must undo is written before it), then the ServiceAccount annotation, then the status. They stay in series ' +
        'by design: Ready is written only once the ServiceAccount carries the annotation.' +
        (overhead > 0
          ? ` ${r} needs at most ${allowedMs.toFixed(1)} ms beyond the cloud at ${latency} ms per call, or cloud ` +
            `calls of ${Math.ceil(neededAt)} ms or more with this overhead (\`--latency=\`).`
          : ''),
    );
  }
  parts.push(
    `The machine was ${Math.round(busy * 100)}% busy: operator ${cpu.operator}, kube-apiserver ${apiserver}, etcd ` +
      `${cpu.controlPlane.etcd ?? '?'} CPU s in ${operator.seconds} s on ${results.machine.cores} cores` +
      ((cpu.others ?? 0) > 0.1 * operator.seconds ? `, and other processes ${cpu.others} CPU s` : '') +
      '.',
  );
  parts.push(
    cpuBound(
      { operator: cpu.operator, ...cpu.controlPlane, ...(cpu.others ? { others: cpu.others } : {}) },
      results.machine.cores,
      point.baseline.seconds,
    ),
  );
  if (tls > 0.2) {
    parts.push(
      `The profile puts ${Math.round(tls * 100)}% of the operator's CPU in TLS handshakes (getPeerCertificate, ` +
        'addCACert, SecureContext init): client-node’s `applyToHTTPSOptions` builds a new `https.Agent` on every ' +
        'call, so each `KubeClient` request opens a new connection. Fix that first: one keep-alive Agent per TLS ' +
        'configuration.',
    );
  }
  if (apiserver > 2 * cpu.operator) {
    parts.push(
      `kube-apiserver is the busiest process, at ${(apiserver / cpu.operator).toFixed(1)}× the operator's CPU ` +
        `(${(apiserver / operator.seconds).toFixed(2)} cores on average): ` +
        'a write costs more on the server than in Keyless, and on a shared machine it slows both.',
    );
  }
  parts.push(
    reconcilers !== undefined
      ? 'What would close the gap: an API server on its own cores, as in a real cluster.'
      : 'What would close the gap: more workers while CPU is spare (bench/README.md has a run at 8), or an API ' +
          'server on its own cores, as in a real cluster.',
  );
  return parts.join(' ');
}

/**
 * The cloud's latency waits as they ran in each process: in the operator's a timer runs late while
 * its event loop is busy or no core is free, and each late timer holds a cloud turn that long.
 */
function lateTimersNote(point: ConvergePoint, latency: number): string | undefined {
  const waits = cloudWaits(point);
  const { cloudWaitedMs: operator } = point.operator;
  const { cloudWaitedMs: baseline } = point.baseline;
  if (waits === undefined || operator === undefined || baseline === undefined) return undefined;
  return (
    `Each call's ${latency} ms wait lasted ${waits}: a timer runs late while the event loop is busy or no core ` +
    `is free, and holds its turn meanwhile. That lateness alone allows at most ${(baseline / operator).toFixed(2)}×.`
  );
}

/**
 * Which stage sets the identities' pace (Little's law): R reconciles at once, each taking
 * `reconcileMs`, finish at most R ÷ reconcileMs per second; W turns carry W ÷ (2 × callMs).
 */
function pacedBy(reconcileMs: number, reconcilers: number, turns: number, callMs: number): string {
  const byReconciles = (reconcilers * 1000) / reconcileMs;
  const byTurns = (turns * 1000) / (2 * callMs);
  return (
    `A WorkloadIdentity reconcile that converged its identity took ${reconcileMs} ms on average, its waits for ` +
    `a turn included: ${reconcilers} at a time finish at most ${byReconciles.toFixed(1)} per second, against the ` +
    `${byTurns.toFixed(1)} the ${turns} turns carry at ${callMs} ms per call, so ` +
    (byReconciles < byTurns
      ? `the reconciles, not the turns, set the pace: the time each spends outside its cloud calls (its Kubernetes ` +
        `requests and its waits for a turn) is too long for ${reconcilers} to keep ${turns} turns full.`
      : 'the turns set the pace.')
  );
}

function writesNote(point: ConvergePoint): string {
  const writes = point.operator.apiServerWrites;
  const bindingStatus = (writes['PATCH identitybindings/status'] ?? 0) / point.n;
  const waited = point.operator.reconciles['WorkloadIdentity success'] ?? 0;
  const parts = [
    `**${point.operator.kubeWritesPerObject} API-server writes per object** (status and finalizer: ` +
      `${statusAndFinalizerPerObject(point)}). Per WorkloadIdentity + IdentityBinding pair, from the API server's ` +
      `own metrics: ${perPair(writes, point.n)}. Beyond status and finalizer, each object records an Event ` +
      '(`Created`) and each identity applies its ServiceAccount annotation: by design, and not in the issue’s ' +
      '"status and finalizer".',
  ];
  if (bindingStatus > 1.5) {
    parts.push(
      `Bindings write status ${bindingStatus.toFixed(2)} times each: once waiting for an identity that has not ` +
        'converged yet, once converged. Fix: no waiting status for a binding whose identity has not been reconciled yet.',
    );
  }
  if (waited > 0) {
    parts.push(
      `${waited} identities were reconciled before their CloudAccount was Ready (the benchmark creates both at once) ` +
        'and wrote a waiting status first.',
    );
  }
  return parts.join(' ');
}

function rssNote(results: BenchResults, point: ConvergePoint): string {
  const { before, cloudHeapBytes } = point.operator.memory;
  const after = judgedMemory(point);
  const perObjectKb = (after.heapUsed - before.heapUsed - cloudHeapBytes) / point.objects / 1024;
  const rssPerObjectKb = (after.rss - before.rss) / point.objects / 1024;
  const tls = tlsShare(results.cpuProfile) > 0.2;
  return (
    `**RSS ${Math.round(after.rss / MB)} MB at N = ${point.n.toLocaleString('en-US')}` +
    `${point.operator.memory.settled ? ' (idle)' : ''}.** ` +
    `${Math.round(before.rss / MB)} MB (heap ${Math.round(before.heapUsed / MB)} MB) are there before any object: ` +
    'Node (about 44 MB bare, 54 with TLS) and the modules the operator imports at start, bundled into a few ' +
    'chunks (Node holds some 40 KB per module loaded): pino, prom-client, ' +
    "TypeBox's schema builders and Keyless's own (not client-node: in its pod, as here, the operator connects with " +
    'its ServiceAccount token; no cloud SDK: each is imported when the first account of its cloud is used, and ' +
    `this run's cloud is in memory). Converging added ${rssPerObjectKb.toFixed(1)} KB of RSS per object: ` +
    `${perObjectKb.toFixed(1)} KB of heap (the in-memory cloud's ${Math.round(cloudHeapBytes / MB)} MB excluded), ` +
    'mostly the informers’ copy of each object; the rest is heap V8 grew into between full collections and ' +
    'keeps resident (it pools the pages a collection frees; ' +
    (results.settings.heap
      ? 'here with the heap Node sizes under the pod’s memory limit, which bounds how far it grows: '
      : 'with no memory limit, as here, it collects late: ') +
    'bench/README.md, Memory). ' +
    `Heap used ${Math.round(after.heapUsed / MB)} MB of ${Math.round(after.heapTotal / MB)} MB reserved.` +
    (tls
      ? ' The allocator also keeps much of what a TLS context per request used (see the ratio note).'
      : '') +
    ' What would cut it: the API constants the operator uses kept apart from the CRD schemas, so TypeBox is not ' +
    'loaded at run time (about 2 MB), and a smaller status cached per object (bench/README.md has the breakdown ' +
    'of a heap snapshot).'
  );
}

function throttledNote(results: BenchResults): string | undefined {
  const t = headlineThrottled(results);
  if (!t) return undefined;
  const shared = t.limiter === 'provider-default' && t.operator.fractionOfCeiling < 0.6;
  return (
    `**Throttled: ${Math.round(t.operator.fractionOfCeiling * 100)}% of the ceiling with the limiter ${t.limiter}** ` +
    `(the baseline with the same limiter: ${Math.round(t.baseline.fractionOfCeiling * 100)}%).` +
    (shared
      ? ' The client-side bucket is shared by reads and writes, and a converge costs one of each per object, so ' +
        'the client allows half of what the cloud’s write quota does. Fix: separate read and write buckets sized ' +
        'from the cloud’s documented quotas.'
      : ` ${t.operator.retries.throttledCallsPerObject} throttled calls and ${t.operator.retries.perObject} retries per ` +
        'object: the limiter does not keep the calls within the quota.')
  );
}

function spreadNote(results: BenchResults): string | undefined {
  const restart = results.restart;
  if (!restart) return undefined;
  return (
    `**A restart re-observes everything at once**: ${Math.round(restart.spread.firstTenthShare * 100)}% of the ` +
    `objects were re-observed in the first tenth of the ${restart.resyncSeconds} s interval (all ` +
    `${(restart.n * 2).toLocaleString('en-US')} within ${restart.passSeconds ?? '?'} s, as fast as the workers go). ` +
    'Every informer add enqueues its object at once, and each object then resyncs 0.8–1.0 intervals later, so the ' +
    'burst recurs every interval. Fix: on start, re-observe objects that are Ready at their generation at a random ' +
    'moment within their resync interval (new, changed and failed objects at once).'
  );
}

/** Share of the operator's busy CPU in native TLS handshake frames. */
export function tlsShare(profile: CpuProfileSummary | undefined): number {
  if (!profile) return 0;
  return profile.topFunctions
    .filter((f) => f.where.startsWith('(native)') && TLS_FRAMES.has(f.name))
    .reduce((sum, f) => sum + f.share, 0);
}

/** What the delete of the largest point spent its time on: each kind's reconciles, and its calls. */
function deleteNote(point: ConvergePoint): string | undefined {
  const d = point.delete;
  if (!d) return undefined;
  const means = Object.entries(d.reconcileMeanMs)
    .map(([controller, ms]) => `${controller} ${ms} ms`)
    .join(', ');
  return (
    `**Delete ${d.ratioToConverge.toFixed(2)}× the converge** (${d.seconds} s against ${point.operator.seconds} s). ` +
    `Timed from the operator's start, as the converge is (the ${point.objects.toLocaleString('en-US')} DELETEs were sent before it, in ${d.requestedSeconds} s); mean reconcile during the delete: ${means}; ` +
    `the operator wrote ${d.kubeWritesPerPair} times per pair and made ${Object.entries(d.cloudCallsPerPair)
      .map(([op, v]) => `${op} ${v}`)
      .join(
        ', ',
      )} cloud calls per pair. An identity is finalized only once its binding is gone, so the two kinds' ` +
    'reconciles run one after the other for each pair.'
  );
}
