import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Profile, sourceMapLocator, summarize } from '../../../bench/report/cpu-profile.js';
import { bundleOperator } from '../../../scripts/operator-bundle.js';

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

describe('profiles of the bundled operator', () => {
  it('place each function in the module it was bundled from, by the map beside the bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyless-profile-map-'));
    try {
      writeFileSync(
        join(dir, 'client.js'),
        '// A comment → with a character beyond ASCII.\nexport function sendRequest(n) {\n  return n * 2;\n}\n',
      );
      writeFileSync(
        join(dir, 'entry.js'),
        "import { sendRequest } from './client.js';\nexport function reconcile(n) {\n  return sendRequest(n) + 1;\n}\nconsole.log(reconcile(Number(process.argv[2])));\n",
      );
      await bundleOperator(join(dir, 'entry.js'), join(dir, 'bundle'), { sourceMaps: true });
      const bundled = join(dir, 'bundle', 'entry.js');
      const text = readFileSync(bundled, 'utf8');
      expect(text).not.toContain('sourceMappingURL');
      // Where V8 would place each function: its line and column in the bundle (0-based).
      const at = (needle: string) => {
        const before = text.slice(0, text.indexOf(needle)).split('\n');
        return { lineNumber: before.length - 1, columnNumber: (before.at(-1) ?? '').length };
      };
      const url = pathToFileURL(bundled).href;
      const profile: Profile = {
        nodes: [
          { id: 1, callFrame: { functionName: 'sendRequest', url, ...at('function sendRequest') } },
          { id: 2, callFrame: { functionName: 'reconcile', url, ...at('function reconcile') } },
          { id: 3, callFrame: frame('writeUtf8String') },
        ],
        samples: [1, 1, 2, 3],
        timeDeltas: [1, 1, 1, 1],
        startTime: 0,
        endTime: 4,
      };
      const summary = summarize(profile, 'x', 'y', sourceMapLocator());
      const file = (name: string) => pathToFileURL(join(dir, name)).href;
      expect(summary.topFunctions).toEqual([
        { name: 'sendRequest', where: `${file('client.js')}:2`, share: 0.5 },
        { name: 'reconcile', where: `${file('entry.js')}:2`, share: 0.25 },
        { name: 'writeUtf8String', where: '(native):1', share: 0.25 },
      ]);
      // Without the locator the bundle is one file.
      expect(summarize(profile, 'x', 'y').byCategory[0]).toEqual({ name: `${url}`, share: 0.75 });
      // Without a map beside it, a file is left as it is.
      rmSync(`${bundled}.map`);
      expect(summarize(profile, 'x', 'y', sourceMapLocator()).topFunctions[0]?.where).toMatch(
        /bundle\/entry\.js:\d+$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
