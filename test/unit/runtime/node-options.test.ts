import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPERATOR_NODE_OPTIONS } from '../../../src/runtime/node-options.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe("the operator's Node options", () => {
  it('are what the image runs it with', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(entrypoint, 'the Dockerfile has an exec-form ENTRYPOINT').toBeDefined();
    expect(JSON.parse(entrypoint ?? '[]')).toEqual([
      '/nodejs/bin/node',
      ...OPERATOR_NODE_OPTIONS,
      'dist/operator/main.js',
    ]);
  });

  it('are what npm start runs it with', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(['node', ...OPERATOR_NODE_OPTIONS, 'dist/operator/main.js'].join(' '));
  });
});
