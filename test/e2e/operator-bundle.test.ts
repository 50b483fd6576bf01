/**
 * The operator as `npm run build` bundles it (dist/operator/, scripts/operator-bundle.ts): what it
 * holds, what it leaves to node_modules, and that every chunk loads in a plain Node.js process.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isBundled, packageOf } from '../../scripts/operator-bundle.js';

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

/**
 * The packages of every static and dynamic import, and of every `require` the bundled CommonJS
 * libraries make (esbuild's `__require`), Node.js built-ins left out.
 */
function importedPackages(source: string): Set<string> {
  const statics = [...source.matchAll(/\bfrom "([^".][^"]*)";$/gm)];
  const dynamics = [...source.matchAll(/\bimport\("([^".][^"]*)"\)/g)];
  const requires = [...source.matchAll(/\b__require\("([^".][^"]*)"\)/g)];
  const specifiers = [...statics, ...dynamics, ...requires].map((m) => m[1] ?? '');
  return new Set(specifiers.filter((s) => !isBuiltin(s)).map(packageOf));
}

describe('the operator bundle', () => {
  it('holds the operator, the libraries it bundles and the AWS SDK, and no other package', () => {
    const bundled = new Set(chunks().flatMap(({ source }) => [...bundledPackages(source)]));
    for (const expected of ['@sinclair/typebox', 'prom-client', '@aws-sdk/client-iam', '@smithy/core'])
      expect(bundled.has(expected), expected).toBe(true);
    expect([...bundled].filter((p) => !isBundled(p))).toEqual([]);
  });

  it('is ASCII throughout, so V8 holds each chunk at one byte per character', () => {
    const wide = chunks().filter(({ source }) => /\P{ASCII}/u.test(source));
    expect(wide.map(({ file }) => file)).toEqual([]);
    // The operator's comments do use arrows (src/runtime/store.ts): they arrive escaped.
    expect(chunks().some(({ source }) => source.includes('\\u{2192}'))).toBe(true);
  });

  it('imports every other package from node_modules, and only production dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set(chunks().flatMap(({ source }) => [...importedPackages(source)]));
    for (const expected of ['@azure/arm-msi', '@google-cloud/iam', 'pino'])
      expect(imported.has(expected), expected).toBe(true);
    const bundledToo = [...imported].filter((p) => isBundled(p));
    expect(bundledToo).toEqual([]);
    const notShipped = [...imported].filter((p) => !(p in dependencies));
    expect(notShipped, 'packages the image would not have (npm prune --omit=dev)').toEqual([]);
  });

  it('loads every chunk (the providers, the SDK parts loaded on demand) in a plain Node.js process', async () => {
    // main.js and operator-main start the operator when imported: the next test runs them.
    const loadable = chunks().filter(({ file }) => file !== 'main.js' && !file.startsWith('operator-main-'));
    expect(loadable.filter(({ file }) => file.startsWith('provider-'))).toHaveLength(3);
    const urls = loadable.map(({ file }) => pathToFileURL(join(BUNDLE, file)).href);
    const script = `for (const url of ${JSON.stringify(urls)}) { await import(url); console.log(url); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout.trim().split('\n')).toEqual(urls);
  });

  it('runs: --help prints the usage and exits 0', async () => {
    const { stdout } = await run(process.execPath, [join(BUNDLE, 'main.js'), '--help'], { cwd: ROOT });
    expect(stdout).toMatch(/^Usage: keyless \[options\]/);
  });
});
