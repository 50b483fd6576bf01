import { writeFile } from 'node:fs/promises';
import { renderCrds } from './crd-files.js';

for (const { path, content } of renderCrds()) {
  await writeFile(path, content);
  console.log(`wrote ${path}`);
}
