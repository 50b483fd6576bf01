import { parseArgs } from 'node:util';
import { chartMemoryLimitMiB, mebibytes } from './pod-heap.js';
import {
  DEFAULT_CONVERGE_LATENCY_MS,
  type LimiterProfile,
  NO_LIMITER,
  PROVIDER_DEFAULT_LIMITER,
} from './profiles.js';

export interface BenchOptions {
  mode: 'quick' | 'full';
  /** Object counts of the converge scenario (N WorkloadIdentities + N IdentityBindings each). */
  points: number[];
  /**
   * The baseline's concurrency per kind, and the operator's cloud calls in flight per kind; the
   * operator runs twice as many reconciles (operator-concurrency.ts).
   */
  workers: number;
  /** The converge cloud's latency per call. */
  latencyMs: number;
  /** The resync interval of the restart / steady-state run (the converge run uses 10m). */
  resyncMs: number;
  /** After the restart, also watch 1.25 resync intervals of resync-driven re-observations. */
  steadyWindow: boolean;
  /** N of the throttled scenario. */
  throttledN: number;
  /** Client-side limiters the throttled scenario runs with (each against its own baseline). */
  throttledLimiters: LimiterProfile[];
  /** N of the moto scenario (N roles: N WorkloadIdentities + N IdentityBindings on the real AWS provider). */
  motoN: number;
  /** N of the scale scenario (N + N converged objects before the operator starts). */
  scaleN: number;
  /** The operator pod's memory limit the host's heap is sized for (default: the chart's); the scale scenario's is SCALE_MEMORY_LIMIT_MIB. */
  memoryLimitMiB: number;
  /** Objects created in parallel when seeding the API server. */
  createConcurrency: number;
  /** Skip scenarios (for working on one): restart, moto, scale, throttled, wire. */
  skip: Set<string>;
  /** Only write the summary, chart and README table of an earlier run's JSON. */
  render: string | undefined;
}

const USAGE = `npm run bench [-- options]
  --full              N up to 10,000 (tens of minutes); default: quick (about 3 minutes)
  --points=250,500    converge object counts (N WorkloadIdentities + N IdentityBindings)
  --workers=4         cloud calls in flight per kind, operator and baseline (operator: 2× reconciles)
  --latency=30        the converge cloud's latency per call, in ms
  --resync=2m         resync interval of the restart / steady-state run (full: 5m)
  --steady            after the restart, watch 1.25 resync intervals (always in --full)
  --throttled-n=40    N of the throttled scenario (full: 500)
  --moto-n=300        N of the moto scenario (the real AWS provider on moto)
  --scale-n=2000      N of the scale scenario, converged before the operator starts (full: 100,000)
  --memory-limit=1Gi  the operator's heap as Node sizes it under this pod memory limit (default: the chart's)
  --skip=throttled    skip scenarios (restart, moto, scale, throttled, wire)
  --render=FILE.json  only write the summary, chart and README table of an earlier run`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      full: { type: 'boolean', default: false },
      points: { type: 'string' },
      workers: { type: 'string', default: '4' },
      latency: { type: 'string', default: String(DEFAULT_CONVERGE_LATENCY_MS) },
      resync: { type: 'string' },
      'throttled-n': { type: 'string' },
      'moto-n': { type: 'string', default: '300' },
      'scale-n': { type: 'string' },
      steady: { type: 'boolean', default: false },
      'memory-limit': { type: 'string' },
      skip: { type: 'string', default: '' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const full = values.full ?? false;
  const points = values.points
    ? values.points.split(',').map(positive)
    : full
      ? [500, 1000, 2500, 5000, 10000]
      : [250, 500, 1000];
  return {
    mode: full ? 'full' : 'quick',
    points: [...points].sort((a, b) => a - b),
    workers: positive(values.workers ?? '4'),
    latencyMs: positive(values.latency ?? String(DEFAULT_CONVERGE_LATENCY_MS)),
    resyncMs: values.resync ? seconds(values.resync) : full ? 300_000 : 120_000,
    steadyWindow: full || values.steady === true,
    throttledN: positive(values['throttled-n'] ?? (full ? '500' : '40')),
    throttledLimiters: [PROVIDER_DEFAULT_LIMITER, NO_LIMITER],
    motoN: positive(values['moto-n'] ?? '300'),
    scaleN: positive(values['scale-n'] ?? (full ? '100000' : '2000')),
    memoryLimitMiB: values['memory-limit'] ? mebibytes(values['memory-limit']) : chartMemoryLimitMiB(),
    createConcurrency: 16,
    skip: new Set((values.skip ?? '').split(',').filter(Boolean)),
    render: values.render,
  };
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${text}\n${USAGE}`);
  return n;
}

function seconds(text: string): number {
  const match = /^(\d+)(s|m)$/.exec(text);
  if (!match) throw new Error(`expected a duration such as 20s or 5m, got ${text}\n${USAGE}`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
}
