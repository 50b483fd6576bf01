import { DEFAULT_RATES as AZURE_DEFAULT_RATES } from '../src/providers/azure/provider.js';
import type { RateLimit } from '../src/providers/memory/memory-cloud.js';

/** How the simulated cloud behaves: per-call latency and the quotas it enforces by refusing calls. */
export interface CloudProfile {
  name: string;
  description: string;
  latencyMs: number;
  rateLimits: { read: RateLimit; write: RateLimit };
}

/** The client-side limiter in front of the provider: a bucket for reads and one for writes. */
export interface LimiterProfile {
  name: string;
  description: string;
  /** undefined: no client-side limiter; the cloud's throttling errors are the only brake. */
  rate: LimiterRates | undefined;
}

export interface LimiterRates {
  read: RateLimit;
  write: RateLimit;
}

/**
 * Converge: a cloud whose quotas the workers cannot reach (W = 4 per kind at 30 ms is at most ~270
 * calls/s), so the figure measures the operator, not the quota.
 */
export function convergeCloud(latencyMs: number): CloudProfile {
  return {
    name: 'roomy',
    description: `${latencyMs} ms per call; reads 1000/s (burst 1000), writes 500/s (burst 500): never reached at W=4`,
    latencyMs,
    rateLimits: { read: { qps: 1000, burst: 1000 }, write: { qps: 500, burst: 500 } },
  };
}

/** The converge cloud's default latency: a fast cloud API (IAM and ARM calls often take longer). */
export const DEFAULT_CONVERGE_LATENCY_MS = 30;

/**
 * Azure Resource Manager's documented per-subscription token buckets (reads: 250, refilled 25/s;
 * writes: 200, refilled 10/s). The throttled scenario starts with both buckets drained.
 */
export const AZURE_LIKE_CLOUD: CloudProfile = {
  name: 'azure-like',
  description: '30 ms per call; reads 25/s (burst 250), writes 10/s (burst 200), drained at the start',
  latencyMs: 30,
  rateLimits: { read: { qps: 25, burst: 250 }, write: { qps: 10, burst: 200 } },
};

export const NO_LIMITER: LimiterProfile = {
  name: 'none',
  description: 'no client-side limiter: only the cloud throttles',
  rate: undefined,
};

/** What the Azure provider builds when the account says nothing (src/providers/azure/provider.ts). */
export const PROVIDER_DEFAULT_LIMITER: LimiterProfile = {
  name: 'provider-default',
  description:
    'the Azure provider’s default: reads 25/s (burst 250), writes 10/s (burst 200), in buckets of their own',
  rate: AZURE_DEFAULT_RATES,
};
