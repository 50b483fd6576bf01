/**
 * Bundles the operator's compiled JavaScript (dist/src/main.js) into dist/operator/: its own
 * modules and the libraries below in a few chunks, every other package imported from node_modules
 * as it is. Node.js holds about 40 KB of memory per loaded ES module whatever its size, and the
 * operator loads some 400 (TypeBox alone 200): bundled, importing it takes 11 MB less RSS (6 MB
 * less in the benchmark's figure before any object). The AWS SDK is bundled from its ES modules,
 * so only the commands Keyless sends are kept (2–5 MB less once an AWS account is used). Dynamic
 * imports stay chunks of their own: a cloud's provider, and its SDK, load only for an account of
 * that cloud.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages bundled with the operator: plain JavaScript that reads no file of its own at run time.
 * Everything else (the Google Cloud and Azure SDKs, which load files of their own, client-node,
 * pino and its worker-thread transports) stays in node_modules.
 */
export const BUNDLED_PACKAGES: ReadonlySet<string> = new Set([
  '@sinclair/typebox',
  'prom-client',
  'tdigest',
  'bintrees',
  '@opentelemetry/api',
  // The AWS SDK's own dependencies beyond its scopes (bowser only for its browser user agent: an
  // unused chunk of its own).
  'bowser',
  'fast-xml-parser',
  'strnum',
  'tslib',
]);

/** The AWS SDK's scopes, bundled whole. */
const BUNDLED_SCOPES = ['@aws-sdk/', '@smithy/', '@aws-crypto/', '@aws/'];

export function isBundled(pkg: string): boolean {
  return BUNDLED_PACKAGES.has(pkg) || BUNDLED_SCOPES.some((scope) => pkg.startsWith(scope));
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Bare imports of packages not bundled are left to Node.js's resolution at run time. */
const externalPackages: Plugin = {
  name: 'keyless-external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || isBundled(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * The chunks run as ES modules; the CommonJS libraries bundled into them call `require` for Node.js
 * built-ins, which an ES module does not have.
 */
const REQUIRE_BANNER =
  "import { createRequire as __keylessCreateRequire } from 'node:module'; " +
  'const require = __keylessCreateRequire(import.meta.url);';

/**
 * `text` with every character beyond ASCII written as a `\u{...}` escape. V8 holds a module's
 * source for as long as the module lives, at one byte per character only if every character is
 * Latin-1: one arrow in a comment held the operator's 480 KB main chunk at twice its size.
 * esbuild already escapes such characters in strings, regular expressions and identifiers
 * (its default ASCII charset), so what is left is in comments, where an escape changes nothing.
 */
export function asciiOnly(text: string): string {
  return text.replace(/\P{ASCII}/gu, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

/**
 * Bundles `entry` (compiled JavaScript) into `outdir`, emptied first; the entry keeps its file name.
 * `sourceMaps` writes a map beside each file (`<file>.map`, without the sources' text, and not
 * named in the file, so Node does not read it): the benchmark's profiles read them.
 */
export async function bundleOperator(
  entry: string,
  outdir: string,
  options: { sourceMaps?: boolean } = {},
): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const { outputFiles } = await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    // ES module builds first (the AWS SDK's dist-es): unused exports are dropped.
    mainFields: ['module', 'main'],
    // Class and function names stay as written: logs, errors and metrics name them.
    keepNames: true,
    banner: { js: REQUIRE_BANNER },
    plugins: [externalPackages],
    legalComments: 'none',
    logLevel: 'warning',
    ...(options.sourceMaps ? { sourcemap: 'external' as const, sourcesContent: false } : {}),
    write: false,
  });
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.path.endsWith('.map') ? file.text : asciiOnly(file.text));
  }
}

async function main(): Promise<void> {
  await bundleOperator(join(root, 'dist/src/main.js'), join(root, 'dist/operator'));
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main().catch((err: unknown) => {
    console.error(`operator bundle failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
