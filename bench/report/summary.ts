import { type BenchResults, type ConvergePoint, SETTLE_FOR_MEMORY_MS } from '../results.js';
import { cloudWaits, perPair, profileLines } from './format.js';
import { growthSection } from './growth.js';
import { motoSection } from './moto-summary.js';
import { notesFor } from './notes.js';
import { checkTargets, mark, profiledN } from './targets.js';

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)}`;
const n = (value: number) => value.toLocaleString('en-US');

/** The Markdown summary of one run: targets, then each scenario's figures, then the notes. */
export function renderSummary(results: BenchResults, chartFile: string): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `# Keyless benchmark: ${results.startedAt.slice(0, 10)} (${results.mode}, ${Math.round(results.durationSeconds / 60)} min)`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; kube-apiserver ${m.kubeApiServer}. ` +
      'Shared and noisy: compare ratios within one run, not seconds across runs.',
    '',
    `Settings: ${concurrency(results.settings)}; ${results.settings.backend}. ` +
      (results.settings.heap ? `Operator heap: ${results.settings.heap}. ` : '') +
      `Converge cloud: ${results.settings.convergeCloud}. Throttled cloud: ${results.settings.throttledCloud}.`,
    '',
    '## Targets',
    '',
    '| target | this run | |',
    '| --- | --- | --- |',
    ...checkTargets(results).map((c) => `| ${c.target} | ${c.figure} | ${mark(c.met)} |`),
    '',
    `![throughput and RSS against N](${chartFile})`,
    '',
  );
  lines.push(...convergeSection(results.converge, profiledN(results)));
  lines.push(...growthSection(results.converge, profiledN(results)));
  lines.push(...motoSection(results.moto, results.settings));
  lines.push(...deleteSection(results.converge));
  lines.push(...restartSection(results));
  lines.push(...scaleSection(results));
  lines.push(...throttledSection(results));
  lines.push(...profileSection(results));
  if (results.wire) {
    const w = results.wire;
    lines.push(
      '## Wire-level fake or in-memory provider?',
      '',
      `The Azure SDK against the ARM fake (HTTPS on loopback, both in one process, concurrency ${w.concurrency}): ` +
        `${Math.round(w.callsPerSecond)} calls/s, ${w.cpuMsPerCall.toFixed(2)} CPU ms per call; the in-memory provider: ` +
        `${Math.round(w.memoryCallsPerSecond)} calls/s, ${w.memoryCpuMsPerCall.toFixed(3)} CPU ms per call. ` +
        'Every figure above uses the in-memory provider (see bench/README.md for why).',
      '',
    );
  }
  const notes = notesFor(results);
  lines.push('## Notes on missed targets', '');
  if (notes.length === 0) lines.push('None missed.', '');
  for (const note of notes) lines.push(`- ${note}`, '');
  return lines.join('\n');
}

/** The settings line's concurrency: runs before 2026-12-07 had one number for both. */
function concurrency(settings: BenchResults['settings']): string {
  if (settings.reconcilers === undefined)
    return `${settings.workers} workers per kind (the baseline: as many per kind)`;
  return (
    `${settings.reconcilers} reconciles per kind, ${settings.workers} of them in the cloud at once ` +
    `(the operator's defaults when that is 4; the baseline: ${settings.workers} calls in flight per kind)`
  );
}

function convergeSection(points: ConvergePoint[], profiledN: number | undefined): string[] {
  if (points.length === 0) return [];
  const last = points[points.length - 1] as ConvergePoint;
  const lines = [
    '## Converge (real API server, operator in its own process, in-memory cloud)',
    '',
    '| N + N | Keyless s | Keyless obj/s | baseline obj/s | ratio | kube writes / obj | RSS before → after → idle (MB) | heap used (MB) | CPU s: operator / apiserver / etcd / other load | CPU ms per pair: operator / baseline |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const p of points) {
    const cpu = p.operator.cpuSeconds;
    lines.push(
      `| ${n(p.n)}${p.n === profiledN ? ' (profiled)' : ''} | ${p.operator.seconds} | ${p.operator.objectsPerSecond} | ${p.baseline.objectsPerSecond.toFixed(1)} | ` +
        `**${p.ratio.toFixed(2)}** | ${p.operator.kubeWritesPerObject} | ${mb(p.operator.memory.before.rss)} → ` +
        `${mb(p.operator.memory.after.rss)} → ${p.operator.memory.settled ? mb(p.operator.memory.settled.rss) : '–'} | ` +
        `${mb(p.operator.memory.after.heapUsed)} | ` +
        `${cpu.operator} / ${cpu.controlPlane['kube-apiserver'] ?? '?'} / ${cpu.controlPlane.etcd ?? '?'} / ${cpu.others ?? '–'} | ` +
        `${perPairMs(cpu.operator, p.n)} / ${p.baseline.cpuSeconds === undefined ? '–' : perPairMs(p.baseline.cpuSeconds, p.n)} |`,
    );
  }
  const calls = Object.entries(last.operator.cloudCallsPerObject)
    .map(([op, v]) => `${op} ${v}`)
    .join(', ');
  const writes = perPair(last.operator.apiServerWrites, last.n);
  lines.push(
    '',
    ...noiseWarning(points),
    `Objects/s counts WorkloadIdentities and IdentityBindings (2N objects), from the operator's start to the moment ` +
      'its informers hold every object Ready at its generation; the baseline makes the same cloud calls with the same ' +
      'concurrency on a fresh cloud of the same profile, without Kubernetes. ' +
      (last.operator.memory.settled
        ? `RSS "idle" is read ${SETTLE_FOR_MEMORY_MS / 1000} s after converging, the operator idle, after its memory trim ` +
          '(it returns the heap pages V8 pooled during the converge); the RSS targets are judged on it.'
        : ''),
    '',
    `At N = ${n(last.n)}: cloud calls per object ${calls} (identity operations per WorkloadIdentity, grant ` +
      `operations per IdentityBinding). API-server writes per WorkloadIdentity + IdentityBinding pair: ${writes}. ` +
      `Informers synced ${last.operator.syncSeconds} s after start; first reconcile at ${last.operator.firstReconcileSeconds} s. ` +
      (cloudWaits(last) ? `Each cloud call's latency lasted ${cloudWaits(last)}. ` : '') +
      `Seeding ${n(last.objects)} objects took ${last.seed.seconds.toFixed(1)} s (not counted). In-memory cloud contents: ` +
      `${mb(last.operator.memory.cloudHeapBytes)} MB of the heap.`,
    '',
  );
  return lines;
}

/** CPU milliseconds per identity + binding pair. */
const perPairMs = (seconds: number, pairs: number) => ((seconds * 1000) / pairs).toFixed(1);

/** Other work on the machine during a converge slows Keyless, not the (sleeping) baseline. */
function noiseWarning(points: ConvergePoint[]): string[] {
  const noisy = points.filter((p) => (p.operator.cpuSeconds.others ?? 0) > 0.1 * p.operator.seconds);
  if (noisy.length === 0) return [];
  return [
    `**Other load**: at N = ${noisy.map((p) => n(p.n)).join(', ')}, other processes used more than a tenth of a core ` +
      'during the converge (last column): those ratios understate Keyless on a quiet machine.',
    '',
  ];
}

function deleteSection(points: ConvergePoint[]): string[] {
  const deleted = points.filter((p) => p.delete !== undefined);
  if (deleted.length === 0) return [];
  const lines = [
    '## Delete (every pair of the converged cluster)',
    '',
    '| N + N | delete s | converge s | delete ÷ converge | delete obj/s | operator kube writes / pair | cloud calls / pair |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const p of deleted) {
    const d = p.delete as NonNullable<ConvergePoint['delete']>;
    const calls = Object.entries(d.cloudCallsPerPair)
      .map(([op, v]) => `${op} ${v}`)
      .join(', ');
    lines.push(
      `| ${n(p.n)} | ${d.seconds} | ${p.operator.seconds} | **${d.ratioToConverge.toFixed(2)}** | ${d.objectsPerSecond} | ` +
        `${d.kubeWritesPerPair} | ${calls} |`,
    );
  }
  const last = deleted[deleted.length - 1] as ConvergePoint;
  const d = last.delete as NonNullable<ConvergePoint['delete']>;
  lines.push(
    '',
    'While the operator is stopped, the driver deletes each WorkloadIdentity and then its IdentityBinding by ' +
      'plain DELETEs at the seeding concurrency (Keyless’s finalizers keep them); the delete is timed as the ' +
      'converge is, from the operator’s start, and ends when its informers hold neither kind (every finalizer done). ' +
      `At N = ${n(last.n)}: the DELETEs took ${d.requestedSeconds} s to send; API-server writes per pair, the ` +
      `driver's DELETEs included: ${perPair(d.apiServerWrites, last.n)}.`,
    '',
  );
  return lines;
}

function restartSection(results: BenchResults): string[] {
  const r = results.restart;
  if (!r) return [];
  const writes = Object.entries(r.apiServerWrites)
    .map(([what, count]) => `${what} ${count}`)
    .join(', ');
  return [
    `## Restart and steady state (N = ${n(r.n)} + ${n(r.n)}, everything converged)`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| graceful stop | ${r.stopSeconds} s |`,
    `| informers synced after start | ${r.syncSeconds} s |`,
    `| first reconcile after start | ${r.firstReconcileSeconds} s |`,
    r.passSeconds !== undefined
      ? `| every object re-observed once | ${r.passSeconds} s after start |`
      : `| every object re-observed once | not within the ${r.observedSeconds} s watched: ${n(r.reobservedInPass ?? 0)} of ${n(2 * r.n)} (spread over the interval) |`,
    `| cloud writes after restart (${r.observedSeconds} s watched) | **${r.cloudWrites}** |`,
    `| cloud calls after restart | ${Object.entries(r.cloudCalls)
      .map(([op, c]) => `${op} ${c}`)
      .join(', ')} |`,
    `| API-server writes after restart | ${r.kubeWrites} by the operator${writes ? ` (API server: ${writes})` : ''}; to Keyless objects, ServiceAccounts and Events: **${r.objectWrites}** |`,
    `| cloud reads per re-observation | **${r.readsPerReobservation}** (${r.reconciles} reconciles, counted after a graceful stop); most for one object in the pass: ${r.maxReadsPerObjectInPass} |`,
    r.steady
      ? `| resync-driven re-observations (${r.steady.seconds} s after the pass) | ${r.steady.reconciles} re-observations, ${r.steady.reads} reads, ${r.steady.writes} cloud writes, ${r.steady.kubeWrites} API-server writes |`
      : '| resync-driven re-observations | not watched (quick mode; `--steady` or `--full` watch 1.25 intervals) |',
    `| objects first re-observed per tenth of the ${r.resyncSeconds} s resync interval (tenths watched) | ${r.spread.tenths.join(' · ')} (${Math.round(r.spread.firstTenthShare * 100)}% of all in the first tenth; even spreading: 10%) |`,
    `| RSS / heap used after | ${mb(r.memory.rss)} / ${mb(r.memory.heapUsed)} MB |`,
    '',
    'The benchmark changes the CloudAccount’s resyncInterval while the operator is stopped, so the restarted ' +
      'operator records that generation in the account’s status: that one write is the benchmark’s own.',
    '',
  ];
}

function scaleSection(results: BenchResults): string[] {
  const s = results.scale;
  if (!s) return [];
  const writes = Object.entries(s.apiServerWrites)
    .map(([what, count]) => `${what} ${count}`)
    .join(', ');
  const heapGrowth = s.memory.atSync.heapUsed - s.memory.beforeStart.heapUsed;
  const lines = [
    `## Scale (N = ${n(s.n)} + ${n(s.n)}, converged before the operator starts)`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| copying pair 0, converged by the operator, to the other pairs (not counted) | ${s.seedSeconds} s |`,
    `| informers synced after start | **${s.syncSeconds} s** (${((s.syncSeconds * 1000) / s.objects).toFixed(3)} ms per object) |`,
    `| RSS / heap used once synced | **${mb(s.memory.atSync.rss)}** / ${mb(s.memory.atSync.heapUsed)} MB, of which the in-memory cloud's contents ${mb(s.memory.cloudHeapBytes)} MB; before the start ${mb(s.memory.beforeStart.rss)} / ${mb(s.memory.beforeStart.heapUsed)} MB: the synced informers ${(heapGrowth / s.objects / 1024).toFixed(2)} KB of heap per object |`,
    `| RSS / heap used after the pass | ${mb(s.memory.afterPass.rss)} / ${mb(s.memory.afterPass.heapUsed)} MB (with the benchmark's call records of ${n(s.memory.trackedObjects)} objects) |`,
    s.passSeconds !== undefined
      ? `| every object re-observed once | ${s.passSeconds} s after start (resync interval ${s.resyncSeconds} s) |`
      : `| every object re-observed once | not within 1.25 resync intervals (${s.resyncSeconds} s): ${n(s.reobserved)} of ${n(s.objects)} |`,
    `| objects first re-observed per tenth of the interval | ${s.spread.tenths.join(' · ')} (**${Math.round(s.spread.firstTenthShare * 100)}%** in the first tenth; even spreading: 10%) |`,
    `| cloud calls | ${Object.entries(s.cloudCalls)
      .map(([op, c]) => `${op} ${n(c)}`)
      .join(', ')}; ${s.readsPerReobservation} reads per re-observed object; **${s.cloudWrites}** writes |`,
    `| API-server requests by the operator | ${Object.entries(s.kubeRequests)
      .map(([verb, c]) => `${verb} ${n(c)}`)
      .join(
        ', ',
      )} (API server's writes: ${writes || 'none'}); to Keyless objects, ServiceAccounts and Events: **${s.objectWrites}** |`,
    `| CPU s during the pass: operator / API server / etcd | ${s.cpuSeconds.operator} / ${s.cpuSeconds.controlPlane['kube-apiserver'] ?? 0} / ${s.cpuSeconds.controlPlane.etcd ?? 0} |`,
    '',
    'Rather than converge every pair through the operator (at 100,000 pairs, hours on this machine), the benchmark lets it ' +
      'converge pair 0, then copies what it wrote there (finalizers, status, the ServiceAccount, the cloud identity and ' +
      'its grants) to every other pair under that pair’s own names, uids and principal. A write in the pass would say a ' +
      `copy differs from what the operator writes, or that it rewrites converged objects. The cloud answers in ${s.cloudLatencyMs} ms ` +
      `here, so that ${results.settings.workers} cloud calls in flight per kind can re-observe every object within the interval. The account’s status write is each ` +
      'start’s account check.',
    '',
  ];
  return lines;
}

function throttledSection(results: BenchResults): string[] {
  if (results.throttled.length === 0) return [];
  const lines = [
    '## Throttled (the cloud at its rate limit)',
    '',
    '| N + N | client limiter | ceiling obj/s | Keyless obj/s | of ceiling | baseline of ceiling | retries / obj | most retries (backoff allows) | retried early | throttled calls / obj | kube writes / obj |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const t of results.throttled) {
    const r = t.operator.retries;
    lines.push(
      `| ${n(t.n)} | ${t.limiter} | ${t.ceilingObjectsPerSecond} | ${t.operator.objectsPerSecond} | ` +
        `**${Math.round(t.operator.fractionOfCeiling * 100)}%** | ${Math.round(t.baseline.fractionOfCeiling * 100)}% | ` +
        `${r.perObject} | ${r.maxPerObject} (${r.backoffBoundForMax}) | ${r.earlierThanScheduled} | ${r.throttledCallsPerObject} | ` +
        `${t.operator.kubeWritesPerObject ?? '–'} |`,
    );
  }
  lines.push(
    '',
    'Both quota buckets are drained before the operator starts. The ceiling is what the quotas allow at the minimum ' +
      'of one read and one write per object. "Most retries (backoff allows)": the most failed reconciles of one object, ' +
      'and how many the work queue’s 5 ms-doubling backoff could fit into that object’s span of failures; "retried ' +
      'early": retries sooner than the delay the queue scheduled (a hot loop would show here).',
    '',
  );
  return lines;
}

function profileSection(results: BenchResults): string[] {
  const p = results.cpuProfile;
  if (!p) return [];
  return [
    `## CPU profile of the operator (${p.scenario}, ${p.totalSeconds} s)`,
    '',
    ...profileLines(p, "The profiler's sampling costs that point a few percent of its throughput."),
    '',
  ];
}
