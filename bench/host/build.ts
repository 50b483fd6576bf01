import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where bench/tsconfig.host.json compiles the operator host (node_modules: ignored, a cache). */
export const HOST_BUILD = `${REPO}node_modules/.cache/keyless-bench/`;
export const HOST_ENTRY = `${HOST_BUILD}bench/host/operator-entry.js`;

/**
 * Compiles the operator host and the src/ it imports with tsc, so the operator runs as plain
 * JavaScript, as `node dist/src/main.js` does in production: under tsx the same process holds
 * about 110 MB more RSS (its loader and transformed sources), which would swamp the memory figures.
 */
export function buildHost(): void {
  execFileSync(`${REPO}node_modules/.bin/tsc`, ['-p', `${REPO}bench/tsconfig.host.json`], {
    cwd: REPO,
    stdio: 'inherit',
  });
}
