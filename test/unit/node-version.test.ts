import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** `engines.node` is a lower bound, `>=MAJOR.MINOR`. */
function enginesLowerBound(): [number, number] {
  const range = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const match = /^>=(\d+)\.(\d+)$/.exec(range);
  if (!match) throw new Error(`package.json engines.node is ${range}, not >=MAJOR.MINOR`);
  return [Number(match[1]), Number(match[2])];
}

function atLeast(version: string, [major, minor]: [number, number]): boolean {
  const [have = 0, haveMinor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return have > major || (have === major && haveMinor >= minor);
}

describe('the Node.js version', () => {
  it('running the tests is the one package.json asks for (source scripts/node24.sh)', () => {
    const bound = enginesLowerBound();
    expect(
      atLeast(process.version, bound),
      `Node.js ${process.version} at ${process.execPath} runs the tests; Keyless needs >=${bound.join('.')}: source scripts/node24.sh`,
    ).toBe(true);
  });

  it('is one major everywhere: engines, the helper scripts/node24.sh, the Dockerfile', () => {
    const bound = enginesLowerBound();
    const pinned = /^KEYLESS_NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(read('scripts/node24.sh'))?.[1];
    expect(pinned, 'scripts/node24.sh pins KEYLESS_NODE_VERSION').toBeDefined();
    expect(atLeast(pinned ?? '', bound)).toBe(true);
    expect(pinned?.split('.')[0]).toBe(String(bound[0]));
    const images = [...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(images).toEqual([
      `node:${bound[0]}-bookworm-slim`,
      `gcr.io/distroless/nodejs${bound[0]}-debian12:nonroot`,
    ]);
  });
});
