import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export interface ExampleDocument {
  file: string;
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<
    string,
    unknown
  >;
}

/** Every document of every YAML file in examples/, in file-name order. */
export function loadExamples(): ExampleDocument[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(`${EXAMPLES_DIR}${file}`, 'utf8')).map((doc) => ({
        file,
        object: doc.toJS() as ExampleDocument['object'],
      })),
    );
}
