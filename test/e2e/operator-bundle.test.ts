/**
 * The operator as `npm run build` bundles it (dist/operator/, scripts/operator-bundle.ts): what it
 * holds, what it leaves to node_modules, and that every chunk loads in a plain Node.js process.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BUNDLED_PACKAGES, packageOf } from '../../scripts/operator-bundle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist/operator');
const run = promisify(execFile);

const chunks = () =>
  readdirSync(BUNDLE)
    .filter((f) => f.endsWith('.js'))
    .map((file) => ({ file, source: readFileSync(join(BUNDLE, file), 'utf8') }));

/** esbuild marks each bundled file with a `// node_modules/<package>/…` line. */
function bundledPackages(source: string): Set<string> {
  return new Set([...source.matchAll(/^\/\/ node_modules\/(\S+)$/gm)].map((m) => packageOf(m[1] ?? '')));
}

/** The bare specifiers of every static and dynamic import. */
function importedPackages(source: string): Set<string> {
  const statics = [...source.matchAll(/\bfrom "([^".][^"]*)";$/gm)];
  const dynamics = [...source.matchAll(/\bimport\("([^".][^"]*)"\)/g)];
  const specifiers = [...statics, ...dynamics].map((m) => m[1] ?? '');
  return new Set(specifiers.filter((s) => !s.startsWith('node:')).map(packageOf));
}

describe('the operator bundle', () => {
  it('holds the operator and the small libraries it bundles, and no other package', () => {
    const bundled = new Set(chunks().flatMap(({ source }) => [...bundledPackages(source)]));
    expect(bundled.has('@sinclair/typebox')).toBe(true);
    expect(bundled.has('prom-client')).toBe(true);
    expect([...bundled].filter((p) => !BUNDLED_PACKAGES.has(p))).toEqual([]);
  });

  it('imports every other package from node_modules, and only production dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set(chunks().flatMap(({ source }) => [...importedPackages(source)]));
    for (const expected of ['@aws-sdk/client-iam', '@azure/arm-msi', '@google-cloud/iam', 'pino'])
      expect(imported.has(expected), expected).toBe(true);
    const bundledToo = [...imported].filter((p) => BUNDLED_PACKAGES.has(p));
    expect(bundledToo).toEqual([]);
    const notShipped = [...imported].filter((p) => !(p in dependencies));
    expect(notShipped, 'packages the image would not have (npm prune --omit=dev)').toEqual([]);
  });

  it('loads every cloud provider chunk, with its SDK, in a plain Node.js process', async () => {
    const providers = chunks().filter(({ file }) => file.startsWith('provider-'));
    expect(providers.length).toBe(3);
    const urls = providers.map(({ file }) => pathToFileURL(join(BUNDLE, file)).href);
    const script = `for (const url of ${JSON.stringify(urls)}) { const m = await import(url); console.log(Object.keys(m).length); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    const exports = stdout.trim().split('\n').map(Number);
    expect(exports).toHaveLength(3);
    for (const count of exports) expect(count).toBeGreaterThan(0);
  });

  it('runs: --help prints the usage and exits 0', async () => {
    const { stdout } = await run(process.execPath, [join(BUNDLE, 'main.js'), '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^Usage: keyless \[options\]/);
  });
});
