import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderChartFiles } from './manifests/chart-files.js';
import { renderDeployFiles } from './manifests/deploy-files.js';

for (const { path, content } of [...renderDeployFiles(), ...renderChartFiles()]) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  console.log(`wrote ${path}`);
}
