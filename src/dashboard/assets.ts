import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  contentType: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  /** Hashed names never change content, so browsers keep them; index.html is checked each time. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/**
 * Where `npm run build` writes the dashboard's assets: dist/dashboard/ in the package root, found
 * from this file whether it runs from src/ (tsx), dist/src/ (compiled) or dist/operator/ (the bundle).
 */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(fileURLToPath(import.meta.url)), 'dist', 'dashboard');
    dir = parent;
  }
  return join(dir, 'dist', 'dashboard');
}

/** Every file of the built dashboard, by URL path, read and compressed once; empty when it was not built. */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const body = readFileSync(join(dir, path));
      assets.set(`/${path}`, {
        contentType: TYPES[extname(entry.name)] ?? 'application/octet-stream',
        body,
        gzipped: gzipSync(body, { level: 9 }),
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: path.startsWith('assets/'),
      });
    }
  };
  walk('');
  return assets;
}
