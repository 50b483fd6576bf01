import { describe, expect, it } from 'vitest';
import { type Profile, summarize } from '../../../bench/report/cpu-profile.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/** A root, one function of Keyless's, a native socket write, and V8's idle node. */
const nodes: Profile['nodes'] = [
  { id: 1, callFrame: frame('(root)') },
  { id: 2, callFrame: frame('reconcile', 'file:///app/src/reconcilers/workload-identity.js') },
  { id: 3, callFrame: frame('writeUtf8String') },
  { id: 4, callFrame: frame('(idle)') },
];

describe('summarize (a CPU profile)', () => {
  it('counts each sample once, as DevTools counts self time, whatever the gap before or after it', () => {
    // The write is caught once, after a 50 ms gap in which the sampler did not run; the function twice.
    const profile: Profile = {
      nodes,
      samples: [2, 3, 2, 4],
      timeDeltas: [1000, 50_000, 1000, 1000],
      startTime: 0,
      endTime: 53_000,
    };
    const summary = summarize(profile, 'x.cpuprofile', 'converge');
    expect(summary.topFunctions).toEqual([
      { name: 'reconcile', where: 'src/reconcilers/workload-identity.js:1', share: 0.667 },
      { name: 'writeUtf8String', where: '(native):1', share: 0.333 },
    ]);
    expect(summary.byCategory).toEqual([
      { name: 'keyless src/reconcilers', share: 0.667 },
      { name: 'native (called from JS)', share: 0.333 },
    ]);
    expect(summary.totalSeconds).toBe(0.05);
  });

  it('leaves idle samples out of the shares', () => {
    const profile: Profile = {
      nodes,
      samples: [4, 4, 4, 2],
      timeDeltas: [1, 1, 1, 1],
      startTime: 0,
      endTime: 4,
    };
    expect(summarize(profile, 'x', 'y').topFunctions).toEqual([
      { name: 'reconcile', where: 'src/reconcilers/workload-identity.js:1', share: 1 },
    ]);
  });
});
