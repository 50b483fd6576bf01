import { describe, expect, it } from 'vitest';
import {
  chartMemoryLimitMiB,
  mebibytes,
  podHeapMiB,
  SCALE_MEMORY_LIMIT_MIB,
} from '../../../bench/pod-heap.js';

describe('pod heap', () => {
  it("reads the chart's memory limit", () => {
    expect(chartMemoryLimitMiB()).toBe(512);
    expect(chartMemoryLimitMiB('resources:\n  limits:\n    memory: 2Gi\n')).toBe(2048);
  });

  it('says so when the chart sets no memory limit, or one it cannot read', () => {
    expect(() => chartMemoryLimitMiB('resources:\n  requests:\n    memory: 256Mi\n')).toThrow(
      /no resources.limits.memory/,
    );
    expect(() => chartMemoryLimitMiB('')).toThrow(/no resources.limits.memory/);
    expect(() => chartMemoryLimitMiB('resources:\n  limits:\n    memory: 512M\n')).toThrow(/in Mi or Gi/);
  });

  it('sizes the old generation as Node does in a container: half the limit, at least 256 MB', () => {
    expect(podHeapMiB(256)).toBe(256);
    expect(podHeapMiB(512)).toBe(256);
    expect(podHeapMiB(1024)).toBe(512);
    expect(podHeapMiB(SCALE_MEMORY_LIMIT_MIB)).toBe(1024);
    expect(mebibytes('1.5Gi')).toBe(1536);
  });
});
