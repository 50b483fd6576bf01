import type { MotoFigures, MotoResult, Settings } from '../results.js';
import { cpuBound, perPair, profileLines } from './format.js';
import type { MotoTargetId } from './targets.js';

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round(bytes / MB)}`;
const byAction = (calls: Record<string, number>) =>
  Object.entries(calls)
    .map(([action, count]) => `${action} ${count}`)
    .join(', ');
const countsOrNone = (counts: Record<string, number>) =>
  Object.keys(counts).length === 0 ? 'none' : byAction(counts);
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

/** The summary's section on the moto scenario: the real AWS provider against the bare SDK. */
export function motoSection(moto: MotoResult | undefined, settings: Settings): string[] {
  if (!moto) return [];
  const title = '## Moto (real API server, the real AWS provider, real IAM calls on moto)';
  if ('skipped' in moto) return [title, '', `Skipped: ${moto.skipped}`, ''];
  const { operator: o, baseline: b, n } = moto;
  const cpu = o.cpuSeconds;
  const perRole = sum(o.callsPerRole);
  const beyond = beyondBaseline(o.callsPerRole, b.callsPerRole);
  return [
    title,
    '',
    `N = ${n.toLocaleString('en-US')}: as many IAM roles, each with an OIDC trust and one inline S3-read policy ` +
      `(${n} WorkloadIdentities + ${n} IdentityBindings), default settings (no spec.rateLimits), ` +
      (settings.reconcilers === undefined
        ? 'the same workers per kind as the baseline.'
        : `${settings.reconcilers} reconciles per kind, ${settings.workers} of them in the cloud at once, against the baseline's ${settings.workers} calls per kind.`),
    '',
    '| figure | Keyless | bare-SDK baseline |',
    '| --- | --- | --- |',
    `| converge s | ${o.seconds} | ${b.seconds} |`,
    `| objects/s | ${o.objectsPerSecond} | ${b.objectsPerSecond} |`,
    `| ratio | **${moto.ratio.toFixed(2)}** | |`,
    ...(moto.withoutLimiter
      ? [
          `| again, spec.rateLimits at ${moto.withoutLimiter.qps.toLocaleString('en-US')}/s (no limiter in effect): converge s, ratio | ${moto.withoutLimiter.seconds}, ${moto.withoutLimiter.ratio.toFixed(2)} | |`,
        ]
      : []),
    ...(moto.profiled
      ? [
          `| a third time, the defaults again, the code warm, under the CPU profiler: converge s, ratio | ${moto.profiled.seconds}, ${moto.profiled.ratio.toFixed(2)} | |`,
        ]
      : []),
    `| IAM calls per role | ${perRole.toFixed(2)}: ${byAction(o.callsPerRole)} | ${sum(b.callsPerRole).toFixed(2)}: ${byAction(b.callsPerRole)} |`,
    `| account check calls (per operator start) | ${byAction(o.accountCalls)} | – |`,
    `| API-server writes per pair | ${o.kubeWritesPerPair} | – |`,
    `| CPU s per pair | ${cpu.perPair} (operator; ${cpu.operator} s in all) | ${b.cpuSeconds.perPair} (the SDK client; ${b.cpuSeconds.client} s in all) |`,
    `| moto CPU s | ${cpu.moto} | ${b.cpuSeconds.moto} |`,
    ...(moto.delete
      ? [
          `| delete s (÷ converge s) | ${moto.delete.seconds} (**${moto.delete.ratioToConverge.toFixed(2)}×**) | – |`,
          `| IAM calls per role on delete | ${sum(moto.delete.cloudCallsPerPair).toFixed(2)}: ${byAction(moto.delete.cloudCallsPerPair)} | – |`,
          `| operator writes per pair on delete | ${moto.delete.kubeWritesPerPair} | – |`,
        ]
      : []),
    ...(moto.idle
      ? [
          `| idle, converged: operator CPU s per 120 s (${moto.idle.cpuSeconds} s in ${moto.idle.seconds} s, from ${moto.idle.settleSeconds} s after converging) | **${moto.idle.cpuSecondsPer120s}** | – (the peer: 0.09–0.10) |`,
          `| idle, converged: Kubernetes requests, IAM calls, reconciles in that window | ${countsOrNone(moto.idle.kubeRequests)}; ${countsOrNone(moto.idle.cloudCalls)}; ${countsOrNone(moto.idle.reconciles)} | – |`,
        ]
      : []),
    `| RSS: before any provider → idle with the AWS SDK → after converging (MB) | ${mb(o.memory.before.rss)} → **${mb(o.memory.idle.rss)}** → ${mb(o.memory.after.rss)} | – |`,
    `| heap used: idle → after (MB) | ${mb(o.memory.idle.heapUsed)} → ${mb(o.memory.after.heapUsed)} | – |`,
    '',
    `API-server writes per pair, by resource: ${perPair(o.apiServerWrites, n)}. Kube-apiserver / etcd CPU s during ` +
      `the converge: ${cpu.controlPlane['kube-apiserver'] ?? '?'} / ${cpu.controlPlane.etcd ?? '?'}. ` +
      `The first start, before any object, made the account's first check (${byAction(o.idleCalls)}) through the AWS ` +
      'SDK, so the idle figure includes the SDK; it is taken after a forced GC. The baseline makes the calls of a first ' +
      'converge on fresh role names (another cluster name) through the same proxy, which counts both by action. ' +
      (beyond
        ? `Calls per role Keyless made beyond the baseline's: ${beyond}.`
        : 'Keyless made no call beyond them.'),
    '',
    ...motoProfileSection(moto),
  ];
}

/** Where the operator's CPU went in the profiled converge on moto. */
function motoProfileSection(moto: MotoFigures): string[] {
  const p = moto.profiled?.cpuProfile;
  if (!p) return [];
  return [
    `### CPU profile of the operator on moto (${p.scenario}, ${p.totalSeconds} s)`,
    '',
    ...profileLines(
      p,
      'The figures above are of the converges before it, without the profiler, whose sampling costs a few percent.',
    ),
    '',
  ];
}

/** Actions per role Keyless made more often than the baseline, with the difference. */
export function beyondBaseline(keyless: Record<string, number>, baseline: Record<string, number>): string {
  return Object.entries(keyless)
    .map(([action, count]) => [action, Math.round((count - (baseline[action] ?? 0)) * 1000) / 1000] as const)
    .filter(([, extra]) => extra > 0)
    .map(([action, extra]) => `${action} +${extra}`)
    .join(', ');
}

/** What the moto figures say about a missed moto target. */
export function motoNote(moto: MotoResult | undefined, id: MotoTargetId, cores: number): string | undefined {
  if (!moto || 'skipped' in moto) return undefined;
  const { operator: o, baseline: b } = moto;
  if (id === 'motoDelete') {
    const d = moto.delete;
    if (!d) return undefined;
    return (
      `**Delete on moto ${d.ratioToConverge.toFixed(2)}× the converge** (${d.seconds} s against ${o.seconds} s): ` +
      `${sum(d.cloudCallsPerPair).toFixed(2)} IAM calls per role (${byAction(d.cloudCallsPerPair)}) and ` +
      `${d.kubeWritesPerPair} operator writes per pair; mean reconcile ${Object.entries(
        d.reconcileMeanMs ?? {},
      )
        .map(([controller, ms]) => `${controller} ${ms} ms`)
        .join(', ')}.`
    );
  }
  if (id === 'motoIdleCpu') {
    const idle = moto.idle;
    if (!idle) return undefined;
    return (
      `**Idle CPU ${idle.cpuSecondsPer120s} CPU s per 120 s** (target ≤ 0.1, the peer's level): ${idle.cpuSeconds} CPU s ` +
      `in ${idle.seconds} s with ${moto.n} + ${moto.n} converged, from ${idle.settleSeconds} s after converging. In that ` +
      `window the operator made these Kubernetes requests: ${countsOrNone(idle.kubeRequests)}; IAM calls: ` +
      `${countsOrNone(idle.cloudCalls)}; reconciles: ${countsOrNone(idle.reconciles)}.`
    );
  }
  if (id === 'motoIdleRss') {
    return (
      `**Idle RSS with the AWS SDK loaded: ${mb(o.memory.idle.rss)} MB** (target ≤ 80): ${mb(o.memory.before.rss)} MB ` +
      'before the operator started (Node, TLS, Keyless, no provider), ' +
      `+${mb(o.memory.idle.rss - o.memory.before.rss)} MB once it ran and its account check loaded the AWS provider ` +
      `and SDK (heap used ${mb(o.memory.before.heapUsed)} → ${mb(o.memory.idle.heapUsed)} MB).`
    );
  }
  const keylessCalls = sum(o.callsPerRole);
  const baselineCalls = sum(b.callsPerRole);
  const beyond = beyondBaseline(o.callsPerRole, b.callsPerRole);
  return (
    `**Moto converge ratio ${moto.ratio.toFixed(2)}** (target ≥ 0.95): Keyless made ${keylessCalls.toFixed(2)} IAM calls ` +
    `per role against the baseline's ${baselineCalls.toFixed(2)}${beyond ? ` (${beyond})` : ''}, so moto answered ` +
    `${Math.round(keylessCalls * moto.n)} calls in ${o.seconds} s (${Math.round((keylessCalls * moto.n) / o.seconds)}/s, ` +
    `moto busy ${Math.round((o.cpuSeconds.moto / o.seconds) * 100)}% of a core) against the baseline's ` +
    `${Math.round((baselineCalls * moto.n) / b.seconds)}/s (moto busy ${Math.round((b.cpuSeconds.moto / b.seconds) * 100)}%). ` +
    'With default settings the AWS provider passes every call through its client-side limiter (reads from 20/s, ' +
    'writes from 10/s, climbing to 20× that within 3 s while the cloud does not throttle); the baseline has none. ' +
    limiterCost(moto) +
    cpuBound(
      { operator: o.cpuSeconds.operator, moto: o.cpuSeconds.moto, ...o.cpuSeconds.controlPlane },
      cores,
      b.seconds,
    ) +
    (b.cpuSeconds.moto / b.seconds > 0.8
      ? ' Moto answers on one thread, busy through most of the baseline’s run; here it shares the cores with the ' +
        'API server and the operator.'
      : '') +
    withoutOperatorCpu(o, cores, b.seconds)
  );
}

/** The same converge with the limiter out of the way, in the same run: what the defaults cost. */
function limiterCost(moto: MotoFigures): string {
  const w = moto.withoutLimiter;
  if (!w) return '';
  const share = moto.operator.objectsPerSecond / w.objectsPerSecond;
  return (
    `Run again with spec.rateLimits at ${w.qps.toLocaleString('en-US')}/s, which no call waits for, the same converge ` +
    `took ${w.seconds} s (ratio ${w.ratio.toFixed(2)}): the defaults gave ${share.toFixed(2)}× that throughput` +
    (share >= 0.95 ? ', so they are not what holds the ratio back. ' : '. ') +
    warmDefaults(moto)
  );
}

/**
 * The third converge, with the defaults again and the code warm as the second's was: set beside
 * the second, it hints at what the limiter costs a warm operator, apart from the first converge's
 * cold start (a hint: on a shared machine moto's runs of the same work spread widely).
 */
function warmDefaults(moto: MotoFigures): string {
  const p = moto.profiled;
  const w = moto.withoutLimiter;
  if (!p || !w) return '';
  const share = p.objectsPerSecond / w.objectsPerSecond;
  return (
    `A third time, with the defaults again and the operator's code as warm as in the second, under the profiler, it ` +
    `took ${p.seconds} s (ratio ${p.ratio.toFixed(2)}): ${share.toFixed(2)}× the throughput without the limiter, ` +
    "the profiler's cost included. "
  );
}

/** The CPU the converge needs of moto and the control plane alone, as if the operator used none. */
function withoutOperatorCpu(o: MotoFigures['operator'], cores: number, baselineSeconds: number): string {
  const others = o.cpuSeconds.moto + Object.values(o.cpuSeconds.controlPlane).reduce((a, b) => a + b, 0);
  const bound = baselineSeconds / (others / cores);
  return (
    ` Even an operator using no CPU at all would leave moto's and the control plane's ${others.toFixed(1)} CPU s, ` +
    `${(others / cores).toFixed(1)} s on ${cores} cores: a ratio of at most ${bound.toFixed(2)}× here.`
  );
}
