import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KINDS } from '../../../src/api/index.js';

type Schema = {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
};

/**
 * Every field of the schema (`spec.subjects[].serviceAccount.name`) that has no description, but
 * the top-level `metadata`: the API server refuses anything but its type there, and kubectl explain
 * shows ObjectMeta's own descriptions.
 */
function undescribed(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const field = path ? `${path}.${name}` : name;
    if (!child.description?.trim() && field !== 'metadata') missing.push(field);
    missing.push(...undescribed(child, field));
  }
  if (schema.items) missing.push(...undescribed(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') {
    missing.push(...undescribed(schema.additionalProperties, `${path}{}`));
  }
  return missing;
}

describe('the generated CRDs', () => {
  it.each(KINDS.map((kind) => [kind.kind, kind.plural]))(
    '%s describes every field, as `kubectl explain` shows it',
    (_kind, plural) => {
      const crd = parse(readFileSync(`crds/keyless.dev_${plural}.yaml`, 'utf8'));
      const root = crd.spec.versions[0].schema.openAPIV3Schema as Schema;
      expect(root.description?.trim()).toBeTruthy();
      expect(undescribed(root, '')).toEqual([]);
    },
  );

  it('finds a field without a description, however deep', () => {
    const schema: Schema = {
      properties: {
        metadata: {},
        spec: {
          description: 'described',
          properties: {
            list: {
              description: 'described',
              items: { properties: { deep: {}, ok: { description: 'x' } } },
            },
            map: { description: 'described', additionalProperties: { properties: { value: {} } } },
            blank: { description: '  ' },
          },
        },
      },
    };
    expect(undescribed(schema, '')).toEqual(['spec.list[].deep', 'spec.map{}.value', 'spec.blank']);
  });
});
