/**
 * `npm run plugin:archive`: the krew archive of kubectl keyless and its manifest, in dist/plugin/.
 *
 *   npm run plugin:archive -- --uri https://example.org/releases/kubectl-keyless-v{{VERSION}}.tar.gz
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPluginArchive } from './plugin-archive-build.js';

const { values } = parseArgs({
  options: {
    uri: { type: 'string' },
    homepage: { type: 'string', default: 'https://keyless.dev' },
    'out-dir': { type: 'string', default: fileURLToPath(new URL('../dist/plugin/', import.meta.url)) },
  },
});
if (!values.uri?.startsWith('https://')) {
  console.error(
    'plugin:archive needs --uri https://…: where the archive will be published ({{VERSION}} is filled in)',
  );
  process.exit(2);
}
const outDir = values['out-dir'];
mkdirSync(outDir, { recursive: true });
const built = buildPluginArchive({ outDir, uri: values.uri, homepage: values.homepage });
console.log(
  `${built.archive}: ${(built.bytes / 1e6).toFixed(1)} MB, ${built.modules} modules, ${built.packages.length} npm packages`,
);
console.log(`${join(outDir, 'keyless.yaml')}: sha256 ${built.sha256}`);
