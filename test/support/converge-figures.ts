/**
 * What a converge under faults is judged by: a seeded mix of faults for the fault proxy, the
 * controllers' retries read from their own log lines, and when the cloud was called for each object,
 * so that a retry made sooner than the backoff the controller scheduled shows up.
 */
import { awsQueryError, type FaultRule, type ProxiedRequest } from './fault-proxy/index.js';

/** A small seeded generator (mulberry32), so a run's faults can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface FaultMix {
  /** Fractions of all requests; they add up to the share of requests that fail. */
  throttled: number;
  unavailable: number;
  reset: number;
  /** Of the requests that do not fail, this share is answered `latencyMs` late. */
  slow: number;
  latencyMs: number;
}

/** About 20% of requests fail (throttling, 503, connection reset), and some of the rest are slow. */
export const TWENTY_PERCENT_FAULTS: FaultMix = {
  throttled: 0.08,
  unavailable: 0.07,
  reset: 0.05,
  slow: 0.1,
  latencyMs: 200,
};

/**
 * Proxy rules that give each request one draw of `random`: throttled, unavailable, reset, slow or
 * untouched, in the proportions of `mix`.
 */
export function faultRules(mix: FaultMix, random: () => number): FaultRule[] {
  const draws = new WeakMap<ProxiedRequest, number>();
  const draw = (request: ProxiedRequest): number => {
    let value = draws.get(request);
    if (value === undefined) {
      value = random();
      draws.set(request, value);
    }
    return value;
  };
  const failing = mix.throttled + mix.unavailable + mix.reset;
  const between = (low: number, high: number) => (request: ProxiedRequest) => {
    const value = draw(request);
    return value >= low && value < high;
  };
  const t = mix.throttled;
  const u = t + mix.unavailable;
  return [
    { when: between(0, t), respond: awsQueryError('Throttling', 'Rate exceeded') },
    { when: between(t, u), respond: awsQueryError('ServiceUnavailable', 'Service unavailable', 503) },
    { when: between(u, failing), reset: true },
    {
      when: between(failing, failing + mix.slow * (1 - failing)),
      latencyMs: mix.latencyMs,
    },
  ];
}

/** One "reconcile failed; retrying" line of a controller. */
export interface Retry {
  at: number;
  retryInMs: number;
}

/** Reads the controllers' JSON log lines: per `Kind namespace/name`, each retry they scheduled. */
export class RetryLog {
  readonly retries = new Map<string, Retry[]>();
  terminal = 0;

  reset(): void {
    this.retries.clear();
    this.terminal = 0;
  }

  write(line: string): void {
    if (line.includes('not retrying')) this.terminal += 1;
    if (!line.includes('reconcile failed; retrying')) return;
    const entry = JSON.parse(line) as { time: number; controller: string; key: string; retryInMs: number };
    const key = `${entry.controller} ${entry.key}`;
    const list = this.retries.get(key) ?? [];
    list.push({ at: entry.time, retryInMs: entry.retryInMs });
    this.retries.set(key, list);
  }

  total(): number {
    let total = 0;
    for (const list of this.retries.values()) total += list.length;
    return total;
  }

  maxPerObject(): number {
    let most = 0;
    for (const list of this.retries.values()) most = Math.max(most, list.length);
    return most;
  }
}

/** When the cloud was called for each object (`Kind namespace/name`), as the proxy saw it. */
export class CallLog {
  readonly calls = new Map<string, number[]>();

  record(object: string, at: number): void {
    const list = this.calls.get(object) ?? [];
    list.push(at);
    this.calls.set(object, list);
  }
}

export interface EarlyRetry {
  object: string;
  failedAt: number;
  retryInMs: number;
  /** The first cloud call for the object after the failure. */
  calledAt: number;
}

/** Log timestamps are whole milliseconds. */
const CLOCK_SLACK_MS = 2;

/**
 * Every cloud call for an object that came sooner after one of its failures than the retry the
 * controller scheduled then, and how many failures were followed by a call at all (the retries this
 * could check). A failure is logged after its reconcile has ended, so any later call for the
 * object belongs to a later reconcile.
 */
export function earlyRetries(retries: RetryLog, calls: CallLog): { early: EarlyRetry[]; checked: number } {
  const early: EarlyRetry[] = [];
  let checked = 0;
  for (const [object, list] of retries.retries) {
    const times = calls.calls.get(object) ?? [];
    for (const retry of list) {
      const calledAt = times.find((at) => at > retry.at);
      if (calledAt === undefined) continue;
      checked += 1;
      if (calledAt + CLOCK_SLACK_MS < retry.at + retry.retryInMs) {
        early.push({ object, failedAt: retry.at, retryInMs: retry.retryInMs, calledAt });
      }
    }
  }
  return { early, checked };
}
