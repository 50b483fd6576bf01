import { readFile, writeFile } from 'node:fs/promises';
import { README_PATH, renderReadme } from './readme-tables.js';

await writeFile(README_PATH, renderReadme(await readFile(README_PATH, 'utf8')));
console.log(`wrote the generated tables of ${README_PATH}`);
