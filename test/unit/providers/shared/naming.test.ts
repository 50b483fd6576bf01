import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, diffFields, diffTags } from '../../../../src/providers/shared/drift.js';
import { deterministicName } from '../../../../src/providers/shared/naming.js';
import { ownerFromTags, ownerTags, sameOwner } from '../../../../src/providers/shared/ownership.js';

const RULE = { prefix: 'keyless', maxLength: 64, invalid: /[^A-Za-z0-9+=,.@_-]/g };

describe('deterministicName', () => {
  it('is readable and stable', () => {
    const name = deterministicName({ cluster: 'prod', namespace: 'shop', name: 'orders-api' }, RULE);
    expect(name).toMatch(/^keyless-shop-orders-api-[0-9a-f]{8}$/);
    expect(deterministicName({ cluster: 'prod', namespace: 'shop', name: 'orders-api' }, RULE)).toBe(name);
  });

  it('differs by cluster even when the readable part is the same', () => {
    const a = deterministicName({ cluster: 'prod', namespace: 'shop', name: 'api' }, RULE);
    const b = deterministicName({ cluster: 'staging', namespace: 'shop', name: 'api' }, RULE);
    expect(a).not.toBe(b);
  });

  it('always fits the limit, uses only allowed characters, and never collides for distinct owners', () => {
    const part = fc.string({ minLength: 1, maxLength: 253 });
    fc.assert(
      fc.property(part, part, part, (cluster, namespace, name) => {
        const result = deterministicName({ cluster, namespace, name }, RULE);
        expect(result.length).toBeLessThanOrEqual(64);
        expect(result).toMatch(/^[A-Za-z0-9+=,.@_-]+$/);
        const other = deterministicName({ cluster, namespace, name: `${name}x` }, RULE);
        expect(other).not.toBe(result);
      }),
    );
  });
});

describe('ownership tags', () => {
  it('round-trip, and the same cluster/namespace/name owns across a uid change', () => {
    const owner = { cluster: 'c', namespace: 'n', name: 'x', uid: 'u1' };
    expect(ownerFromTags(ownerTags(owner))).toEqual(owner);
    expect(sameOwner(ownerFromTags(ownerTags(owner)), { ...owner, uid: 'u2' })).toBe(true);
    expect(sameOwner(ownerFromTags({ other: 'tag' }), owner)).toBe(false);
    expect(sameOwner(ownerFromTags(ownerTags({ ...owner, namespace: 'm' })), owner)).toBe(false);
  });
});

describe('drift', () => {
  it('compares documents canonically and names each differing field', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(diffFields({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1], c: 9 })).toEqual([
      { field: 'b', wanted: '[1,2]', found: '[2,1]' },
    ]);
    expect(diffFields({ a: 1 }, {})).toEqual([{ field: 'a', wanted: '1', found: 'absent' }]);
  });

  it('reports only the tags Keyless manages', () => {
    expect(diffTags('tags', { team: 'a', env: 'prod' }, { team: 'b', extra: 'kept' })).toEqual([
      { field: 'tags[env]', wanted: 'prod', found: 'absent' },
      { field: 'tags[team]', wanted: 'a', found: 'b' },
    ]);
  });
});
