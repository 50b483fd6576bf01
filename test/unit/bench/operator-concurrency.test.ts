import { describe, expect, it } from 'vitest';
import { operatorConcurrency } from '../../../bench/operator-concurrency.js';
import { loadConfig } from '../../../src/config.js';

describe('operatorConcurrency', () => {
  it("is the operator's defaults at the bench's default of 4 calls per kind", () => {
    const { workers, cloudConcurrency } = loadConfig([], { KEYLESS_CLUSTER_NAME: 'bench' });
    expect(operatorConcurrency(4)).toEqual({ workers, cloudConcurrency });
  });

  it.each([1, 3, 8])('keeps the default ratio at %i calls per kind', (calls) => {
    const { workers } = operatorConcurrency(calls);
    const config = loadConfig([`--workers=${workers}`], { KEYLESS_CLUSTER_NAME: 'bench' });
    expect(config.cloudConcurrency).toBe(calls);
  });
});
