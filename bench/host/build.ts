import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleOperator } from '../../scripts/operator-bundle.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where bench/tsconfig.host.json compiles the operator host (node_modules: ignored, a cache). */
export const HOST_BUILD = `${REPO}node_modules/.cache/keyless-bench/`;
/** The compiled host, bundled as the operator is (scripts/operator-bundle.ts). */
export const HOST_ENTRY = `${HOST_BUILD}bundle/operator-entry.js`;

/**
 * Compiles the operator host and the src/ it imports with tsc, then bundles it as `npm run build`
 * bundles the operator, so the operator runs as the JavaScript it ships as (`node
 * dist/operator/main.js`): under tsx the same process holds about 110 MB more RSS (its loader and
 * transformed sources), and unbundled about 6 MB more, either of which would skew the memory figures.
 */
export async function buildHost(): Promise<void> {
  execFileSync(`${REPO}node_modules/.bin/tsc`, ['-p', `${REPO}bench/tsconfig.host.json`], {
    cwd: REPO,
    stdio: 'inherit',
  });
  await bundleOperator(`${HOST_BUILD}bench/host/operator-entry.js`, `${HOST_BUILD}bundle`, {
    sourceMaps: true,
  });
}
