import { writeFile } from 'node:fs/promises';
import { renderCrdKustomization, renderCrds } from './crd-files.js';

for (const { path, content } of [...renderCrds(), renderCrdKustomization()]) {
  await writeFile(path, content);
  console.log(`wrote ${path}`);
}
