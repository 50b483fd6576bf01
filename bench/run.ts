/**
 * `npm run bench` (quick) or `npm run bench -- --full` (N up to 10,000, and 100,000 at scale; about an hour).
 * Writes bench/results/<timestamp>.{json,md,svg}, the same as bench/latest/<mode>/ (committed), and
 * this run's targets table into bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildHost } from './host/build.js';
import { operatorConcurrency } from './operator-concurrency.js';
import { parseOptions } from './options.js';
import { chartMemoryLimitMiB, podHeapMiB, SCALE_MEMORY_LIMIT_MIB } from './pod-heap.js';
import { AZURE_LIKE_CLOUD, convergeCloud } from './profiles.js';
import { renderChart } from './report/chart.js';
import { summarizeProfile } from './report/cpu-profile.js';
import { describeMachine } from './report/machine.js';
import { renderSummary } from './report/summary.js';
import { checkTargets, mark, TARGETS } from './report/targets.js';
import type { BenchResults } from './results.js';
import { runConverge } from './scenarios/converge.js';
import { runMoto } from './scenarios/moto.js';
import { runScale } from './scenarios/scale.js';
import { runThrottled } from './scenarios/throttled.js';
import { runWireProbe } from './scenarios/wire.js';

const BENCH = fileURLToPath(new URL('./', import.meta.url));

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.render) {
    const earlier = JSON.parse(readFileSync(options.render, 'utf8')) as BenchResults;
    write(earlier, stampOf(new Date(earlier.startedAt)));
    return;
  }
  const started = new Date();
  const stamp = stampOf(started);
  mkdirSync(`${BENCH}results`, { recursive: true });
  console.log(`[bench] ${options.mode} run ${stamp}: converge N = ${options.points.join(', ')}`);
  await buildHost();
  const cloud = convergeCloud(options.latencyMs);

  const results: BenchResults = {
    startedAt: started.toISOString(),
    finishedAt: '',
    mode: options.mode,
    durationSeconds: 0,
    machine: describeMachine('unknown'),
    settings: {
      workers: options.workers,
      reconcilers: operatorConcurrency(options.workers).workers,
      convergeCloud: `${cloud.name} (${cloud.description}), no client-side limiter`,
      convergeLatencyMs: cloud.latencyMs,
      throttledCloud: `${AZURE_LIKE_CLOUD.name} (${AZURE_LIKE_CLOUD.description})`,
      resyncSeconds: options.resyncMs / 1000,
      backend:
        "in-memory provider (MemoryCloud with latency and quotas) for every figure but the moto scenario's; operator compiled to JavaScript, " +
        'in its own process, as its own ServiceAccount, --leader-elect=false, log level error',
      heap: heapSetting(options.memoryLimitMiB),
    },
    converge: [],
    restart: undefined,
    throttled: [],
    wire: undefined,
    cpuProfile: undefined,
  };

  const profilePath = `${BENCH}results/${stamp}.cpuprofile`;
  const largest = Math.max(...options.points);
  const smallest = Math.min(...options.points);
  for (const n of options.points) {
    const run = await runConverge({
      n,
      bench: options,
      withRestart: n === largest && !options.skip.has('restart'),
      profilePath: n === smallest ? profilePath : undefined,
    });
    results.machine = describeMachine(run.version);
    results.converge.push(run.point);
    results.restart = run.restart ?? results.restart;
    if (n === smallest) {
      results.cpuProfile = summarizeProfile(profilePath, `converge, N = ${n} + ${n}`);
      results.cpuProfile.file = `bench/results/${stamp}.cpuprofile`;
    }
  }
  if (!options.skip.has('moto')) {
    results.moto = await runMoto(options, `${BENCH}results/${stamp}-moto.cpuprofile`);
    if (!('skipped' in results.moto) && results.moto.profiled)
      results.moto.profiled.cpuProfile.file = `bench/results/${stamp}-moto.cpuprofile`;
  }
  if (!options.skip.has('throttled')) {
    for (const limiter of options.throttledLimiters)
      results.throttled.push(await runThrottled(options, limiter));
  }
  if (!options.skip.has('wire')) results.wire = await runWireProbe();
  if (!options.skip.has('scale')) results.scale = await runScale(options);

  const finished = new Date();
  results.finishedAt = finished.toISOString();
  results.durationSeconds = Math.round((finished.getTime() - started.getTime()) / 1000);
  write(results, stamp);
}

function stampOf(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

function write(results: BenchResults, stamp: string): void {
  const base = `${BENCH}results/${stamp}`;
  const latest = `${BENCH}latest/${results.mode}`;
  const title = `Keyless ${results.mode} benchmark, ${results.startedAt.slice(0, 10)}`;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const chart = renderChart(results.converge, title, TARGETS.rssMb);
  writeFileSync(`${base}.json`, json);
  writeFileSync(`${base}.svg`, chart);
  writeFileSync(`${base}.md`, renderSummary(results, `${stamp}.svg`));
  mkdirSync(latest, { recursive: true });
  writeFileSync(`${latest}/results.json`, json);
  // bench/latest/ is committed: keep its JSON as `biome check` formats it.
  execFileSync(`${BENCH}../node_modules/.bin/biome`, ['format', '--write', `${latest}/results.json`], {
    stdio: 'ignore',
  });
  copyFileSync(`${base}.svg`, `${latest}/chart.svg`);
  const summary = renderSummary(results, 'chart.svg');
  writeFileSync(`${latest}/summary.md`, summary);
  updateReadme(results);
  console.log(`\n${summary}`);
  console.log(
    `[bench] wrote bench/results/${stamp}.{json,md,svg}, bench/latest/${results.mode}/ and bench/README.md`,
  );
  for (const check of checkTargets(results))
    console.log(`[bench] ${mark(check.met)}: ${check.target}: ${check.figure}`);
}

/** Replaces this mode's table between its markers in bench/README.md with this run's targets. */
function updateReadme(results: BenchResults): void {
  const path = `${BENCH}README.md`;
  const begin = `<!-- latest-${results.mode}:begin -->`;
  const end = `<!-- latest-${results.mode}:end -->`;
  let readme: string;
  try {
    readme = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1) return;
  const m = results.machine;
  const table = [
    begin,
    `${results.mode === 'full' ? 'Full' : 'Quick'} run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC ` +
      `(${Math.round(results.durationSeconds / 60)} min) on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ` +
      `${m.os}, Node ${m.node}, kube-apiserver ${m.kubeApiServer}. All figures: ` +
      `[latest/${results.mode}/summary.md](latest/${results.mode}/summary.md).`,
    '',
    '| target | figure | |',
    '| --- | --- | --- |',
    ...checkTargets(results).map((c) => `| ${c.target} | ${c.figure} | ${mark(c.met)} |`),
    '',
    `![throughput and RSS against N, ${results.mode} run](latest/${results.mode}/chart.svg)`,
    end,
  ].join('\n');
  writeFileSync(path, readme.slice(0, from) + table + readme.slice(to + end.length));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('[bench] failed:', err);
    process.exit(1);
  },
);

/** The operator's heap, as the summary states it. */
function heapSetting(memoryLimitMiB: number): string {
  const sized = (limitMiB: number) => `${formatMiB(limitMiB)} (--max-old-space-size=${podHeapMiB(limitMiB)})`;
  return (
    `sized as Node sizes it in a pod with a memory limit of ${sized(memoryLimitMiB)}` +
    (memoryLimitMiB === chartMemoryLimitMiB() ? ", the chart's" : '') +
    `; the scale scenario's as under ${sized(SCALE_MEMORY_LIMIT_MIB)}, README's Sizing for 100,000 + 100,000`
  );
}

function formatMiB(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
