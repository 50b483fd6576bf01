import { readFile, writeFile } from 'node:fs/promises';
import { README_PATH, withReasonsTables } from './reasons-table.js';

await writeFile(README_PATH, withReasonsTables(await readFile(README_PATH, 'utf8')));
console.log(`wrote the reasons tables in ${README_PATH}`);
