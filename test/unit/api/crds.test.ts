import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCrds } from '../../../scripts/crd-files.js';
import { CLOUD_ACCOUNT, crdFor, IDENTITY_BINDING, KINDS, WORKLOAD_IDENTITY } from '../../../src/api/index.js';
import { validateAgainstCrd } from '../../support/crd-validator.js';
import { loadExamples } from '../../support/examples.js';
import { INVALID_OBJECTS, VALID_EDGE_OBJECTS } from '../../support/invalid-objects.js';

const crdByKind = new Map(KINDS.map((k) => [k.kind, crdFor(k)]));

describe('generated CRDs', () => {
  it.each(renderCrds())('$path is up to date (run `npm run generate`)', ({ path, content }) => {
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('are structural: every object and array declares its type, maps use additionalProperties', () => {
    const untyped: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      if (node.patternProperties) untyped.push(`${path} uses patternProperties`);
      if (!node.type) untyped.push(`${path} has no type`);
      for (const [name, child] of Object.entries((node.properties as Record<string, object>) ?? {})) {
        walk(child as Record<string, unknown>, `${path}.${name}`);
      }
      if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`);
      if (node.additionalProperties) walk(node.additionalProperties as Record<string, unknown>, `${path}{}`);
    };
    for (const kind of KINDS) {
      const crd = parse(readFileSync(`crds/keyless.dev_${kind.plural}.yaml`, 'utf8'));
      walk(crd.spec.versions[0].schema.openAPIV3Schema, kind.kind);
    }
    expect(untyped).toEqual([]);
  });

  it('declare short names, the keyless category, scopes and the status subresource', () => {
    const summary = KINDS.map((k) => {
      const crd = crdFor(k) as {
        spec: { scope: string; names: { shortNames: string[]; categories: string[] }; versions: object[] };
      };
      const version = crd.spec.versions[0] as {
        subresources: object;
        additionalPrinterColumns: { name: string }[];
      };
      return {
        kind: k.kind,
        scope: crd.spec.scope,
        shortNames: crd.spec.names.shortNames,
        categories: crd.spec.names.categories,
        status: version.subresources,
        columns: version.additionalPrinterColumns.map((c) => c.name),
      };
    });
    expect(summary).toEqual([
      {
        kind: 'CloudAccount',
        scope: 'Cluster',
        shortNames: ['ca'],
        categories: ['keyless'],
        status: { status: {} },
        columns: ['Provider', 'Ready', 'Identities', 'Age'],
      },
      {
        kind: 'WorkloadIdentity',
        scope: 'Namespaced',
        shortNames: ['wi'],
        categories: ['keyless'],
        status: { status: {} },
        columns: ['Ready', 'Synced', 'Drifted', 'Principal', 'Account', 'Age'],
      },
      {
        kind: 'IdentityBinding',
        scope: 'Namespaced',
        shortNames: ['ib'],
        categories: ['keyless'],
        status: { status: {} },
        columns: ['Ready', 'Synced', 'Drifted', 'Identity', 'Expires', 'Age'],
      },
    ]);
  });
});

describe('examples/', () => {
  const keylessExamples = loadExamples().filter((e) => e.object.apiVersion.startsWith('keyless.dev/'));

  it('has a sample of each kind', () => {
    expect(new Set(keylessExamples.map((e) => e.object.kind))).toEqual(
      new Set([CLOUD_ACCOUNT.kind, WORKLOAD_IDENTITY.kind, IDENTITY_BINDING.kind]),
    );
  });

  it.each(keylessExamples.map((e) => [e.file, e.object] as const))('%s validates', (_file, object) => {
    expect(validateAgainstCrd(crdByKind.get(object.kind), object)).toEqual([]);
  });
});

describe('invalid objects are refused by the schemas', () => {
  it.each(INVALID_OBJECTS)('$name', ({ object, field, message }) => {
    const errors = validateAgainstCrd(crdByKind.get(object.kind as string), object);
    expect(errors).toContainEqual({ path: field, message: expect.stringContaining(message) });
  });
});

describe('objects at the edges of the ranges are accepted by the schemas', () => {
  it.each(VALID_EDGE_OBJECTS)('$name', ({ object }) => {
    expect(validateAgainstCrd(crdByKind.get(object.kind as string), object)).toEqual([]);
  });
});
