/**
 * The krew archive of `kubectl keyless`: the launcher (plugins/krew/kubectl-keyless), the compiled
 * modules the plugin loads (from dist/, `npm run build`) and the npm packages they import, with
 * theirs; and the krew manifest (plugins/krew/keyless.yaml) with the archive's digest filled in.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = join(ROOT, 'dist');
const ENTRY = join(DIST, 'src', 'cli', 'main.js');
export const MANIFEST_TEMPLATE = join(ROOT, 'plugins', 'krew', 'keyless.yaml');
const LAUNCHER = join(ROOT, 'plugins', 'krew', 'kubectl-keyless');

export interface PluginArchiveOptions {
  outDir: string;
  /** Where the archive will be published (https), for the manifest. */
  uri: string;
  homepage: string;
}

export interface PluginArchive {
  archive: string;
  manifest: string;
  sha256: string;
  version: string;
  /** Files of ours and npm packages in the archive. */
  modules: number;
  packages: string[];
  bytes: number;
}

/** Static imports of tsc's ESM output: `import … from '…'`, `export … from '…'`, `import '…'`. */
const IMPORT = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm;

/** Every compiled module the entry loads, and the npm packages they import. */
export function moduleGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    if (!file.endsWith('.js')) return;
    for (const [, specifier = ''] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(packageName(specifier));
    }
  };
  visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The installed directories of `names` and everything they depend on, found as Node.js finds
 * them (node_modules folders from the requiring package up to the root).
 */
export function packageClosure(names: readonly string[], root = ROOT): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string, optional: boolean) => {
    const dir = locate(name, from, root);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} (needed from ${relative(root, from) || '.'}) is not installed: run npm ci`);
    }
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  return [...found].sort();
}

function locate(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

export function renderManifest(
  template: string,
  values: Record<'VERSION' | 'URI' | 'SHA256' | 'HOMEPAGE', string>,
): string {
  const body = template.replace(/^(#.*\n)+/, '');
  return body.replace(/\{\{(\w+)\}\}/g, (_whole, key: string) => {
    const value = (values as Record<string, string>)[key];
    if (value === undefined) throw new Error(`${MANIFEST_TEMPLATE} names {{${key}}}, which has no value`);
    return value;
  });
}

export function buildPluginArchive(options: PluginArchiveOptions): PluginArchive {
  if (!existsSync(ENTRY)) throw new Error(`${relative(ROOT, ENTRY)} is missing: run npm run build first`);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const staging = join(options.outDir, 'staging');
  rmSync(staging, { recursive: true, force: true });
  const lib = join(staging, 'lib');
  const graph = moduleGraph(ENTRY);
  for (const file of graph.files) {
    const target = join(lib, relative(DIST, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  const packages = packageClosure(graph.packages);
  for (const dir of packages) {
    cpSync(dir, join(lib, relative(ROOT, dir)), {
      recursive: true,
      filter: (source) => !relative(dir, source).split('/').includes('node_modules'),
    });
  }
  writeFileSync(join(lib, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  cpSync(LAUNCHER, join(staging, 'kubectl-keyless'));

  const archive = join(options.outDir, `kubectl-keyless-v${version}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', staging, 'kubectl-keyless', 'lib']);
  const bytes = readFileSync(archive);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const manifest = join(options.outDir, 'keyless.yaml');
  writeFileSync(
    manifest,
    renderManifest(readFileSync(MANIFEST_TEMPLATE, 'utf8'), {
      VERSION: version,
      URI: options.uri.replaceAll('{{VERSION}}', version),
      SHA256: sha256,
      HOMEPAGE: options.homepage,
    }),
  );
  rmSync(staging, { recursive: true, force: true });
  return {
    archive,
    manifest,
    sha256,
    version,
    modules: graph.files.length,
    packages: packages.map((dir) => relative(join(ROOT, 'node_modules'), dir)),
    bytes: bytes.length,
  };
}
