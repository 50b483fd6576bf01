/**
 * Builds the dashboard's browser code (src/dashboard/ui, Preact) with esbuild into dist/dashboard/:
 * index.html and content-hashed, minified assets/app-HASH.js and app-HASH.css, which the operator
 * serves as they are. Prints each asset's size, raw and gzipped.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const ui = join(root, 'src/dashboard/ui');
const out = join(root, 'dist/dashboard');

export interface BuiltAsset {
  file: string;
  bytes: number;
  gzippedBytes: number;
}

/** Builds dist/dashboard/ and returns each file with its size. */
export async function buildDashboardAssets(): Promise<BuiltAsset[]> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { app: join(ui, 'main.tsx'), styles: join(ui, 'styles.css') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: join(out, 'assets'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => join(root, file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const styles = outputs.find((f) => f.endsWith('.css'));
  if (!script || !styles) throw new Error('esbuild wrote no script or no stylesheet');
  const html = readFileSync(join(ui, 'index.html'), 'utf8')
    .replace('%SCRIPT%', basename(script))
    .replace('%STYLES%', basename(styles));
  writeFileSync(join(out, 'index.html'), html);
  return [join(out, 'index.html'), script, styles].map((file) => {
    const body = readFileSync(file);
    return {
      file: file.slice(root.length),
      bytes: body.length,
      gzippedBytes: gzipSync(body, { level: 9 }).length,
    };
  });
}

async function main(): Promise<void> {
  const assets = await buildDashboardAssets();
  for (const a of assets) console.log(`dashboard: ${a.file} ${a.bytes} B, ${a.gzippedBytes} B gzipped`);
  console.log(`dashboard: ${assets.reduce((sum, a) => sum + a.gzippedBytes, 0)} B gzipped in all`);
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  main().catch((err: unknown) => {
    console.error(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
