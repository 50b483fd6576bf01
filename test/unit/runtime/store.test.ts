import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KubeObject, keyOf, parseKey } from '../../../src/runtime/kube-object.js';
import { Store } from '../../../src/runtime/store.js';

interface Labelled extends KubeObject {
  spec: { identities: string[] };
}

function obj(
  name: string,
  namespace: string | undefined,
  resourceVersion: string,
  identities: string[] = [],
) {
  return {
    metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion },
    spec: { identities },
  } satisfies Labelled;
}

const byIdentity = (o: Labelled) => o.spec.identities;

describe('keyOf / parseKey', () => {
  it('uses namespace/name for namespaced and name for cluster-scoped objects, and round-trips', () => {
    expect(keyOf(obj('a', 'ns', '1'))).toBe('ns/a');
    expect(keyOf(obj('a', undefined, '1'))).toBe('a');
    expect(parseKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(parseKey('a')).toEqual({ name: 'a' });
  });
});

describe('Store', () => {
  it('gets by key, lists, and finds by index', () => {
    const store = new Store<Labelled>({ indexers: { byIdentity } });
    store.upsert(obj('a', 'ns', '1', ['x', 'y']));
    store.upsert(obj('b', 'ns', '1', ['y']));
    expect(store.get('ns/a')?.metadata.name).toBe('a');
    expect(store.list()).toHaveLength(2);
    expect(store.byIndex('byIdentity', 'y').map(keyOf).sort()).toEqual(['ns/a', 'ns/b']);
    expect(store.byIndex('byIdentity', 'x').map(keyOf)).toEqual(['ns/a']);
    expect(store.byIndex('byIdentity', 'nobody')).toEqual([]);
  });

  it('moves an object between index values on update and drops it on delete', () => {
    const store = new Store<Labelled>({ indexers: { byIdentity } });
    store.upsert(obj('a', 'ns', '1', ['x']));
    expect(store.upsert(obj('a', 'ns', '2', ['z']))?.metadata.resourceVersion).toBe('1');
    expect(store.byIndex('byIdentity', 'x')).toEqual([]);
    expect(store.byIndex('byIdentity', 'z').map(keyOf)).toEqual(['ns/a']);
    expect(store.delete('ns/a')?.metadata.resourceVersion).toBe('2');
    expect(store.byIndex('byIdentity', 'z')).toEqual([]);
    expect(store.delete('ns/a')).toBeUndefined();
  });

  it('finds every object filed under one value as objects join and leave it', () => {
    const store = new Store<Labelled>({ indexers: { byIdentity } });
    const under = (value: string) => store.byIndex('byIdentity', value).map(keyOf).sort();
    store.upsert(obj('a', 'ns', '1', ['x']));
    store.upsert(obj('b', 'ns', '1', ['x']));
    store.upsert(obj('c', 'ns', '1', ['x']));
    expect(under('x')).toEqual(['ns/a', 'ns/b', 'ns/c']);
    store.delete('ns/b');
    store.upsert(obj('c', 'ns', '2', ['y']));
    expect(under('x')).toEqual(['ns/a']);
    store.upsert(obj('b', 'ns', '2', ['x']));
    expect(under('x')).toEqual(['ns/a', 'ns/b']);
    store.delete('ns/a');
    store.delete('ns/b');
    expect(under('x')).toEqual([]);
    expect(under('y')).toEqual(['ns/c']);
  });

  it('rejects an index that was not declared', () => {
    const store = new Store<Labelled>();
    expect(() => store.byIndex('byIdentity', 'x')).toThrow(/unknown index/);
  });

  it('replace reports adds, real updates and deletes, but not unchanged objects', () => {
    const store = new Store<Labelled>({ indexers: { byIdentity } });
    const kept = obj('kept', 'ns', '7', ['x']);
    store.upsert(kept);
    store.upsert(obj('changed', 'ns', '7'));
    store.upsert(obj('gone', 'ns', '7', ['x']));
    const diff = store.replace([
      obj('kept', 'ns', '7', ['x']),
      obj('changed', 'ns', '10'),
      obj('new', 'ns', '8'),
    ]);
    expect(diff.added.map(keyOf)).toEqual(['ns/new']);
    expect(
      diff.updated.map(({ old, obj }) => [old.metadata.resourceVersion, obj.metadata.resourceVersion]),
    ).toEqual([['7', '10']]);
    expect(diff.deleted.map(keyOf)).toEqual(['ns/gone']);
    expect(store.keys().sort()).toEqual(['ns/changed', 'ns/kept', 'ns/new']);
    expect(store.get('ns/kept')).toBe(kept);
    expect(store.byIndex('byIdentity', 'x').map(keyOf)).toEqual(['ns/kept']);
  });

  it('treats resourceVersions as opaque strings ("9" → "10" is a change, not an older version)', () => {
    const store = new Store<Labelled>();
    store.upsert(obj('a', 'ns', '9'));
    expect(store.replace([obj('a', 'ns', '10')]).updated).toHaveLength(1);
    expect(store.replace([obj('a', 'ns', '10')]).updated).toHaveLength(0);
  });

  it('leaves the store unchanged when an indexer throws, for upsert and for replace', () => {
    const picky = (o: Labelled) => {
      if (o.spec.identities.includes('bad')) throw new Error('indexer bug');
      return o.spec.identities;
    };
    const store = new Store<Labelled>({ indexers: { byIdentity: picky } });
    store.upsert(obj('a', 'ns', '1', ['x']));
    expect(() => store.upsert(obj('a', 'ns', '2', ['bad']))).toThrow('indexer bug');
    expect(() => store.replace([obj('b', 'ns', '1', ['y']), obj('c', 'ns', '1', ['bad'])])).toThrow(
      'indexer bug',
    );
    expect(store.keys()).toEqual(['ns/a']);
    expect(store.get('ns/a')?.metadata.resourceVersion).toBe('1');
    expect(store.byIndex('byIdentity', 'x').map(keyOf)).toEqual(['ns/a']);
    expect(store.byIndex('byIdentity', 'y')).toEqual([]);
  });

  type Op =
    | { kind: 'upsert'; name: string; namespace: string | undefined; identities: string[] }
    | { kind: 'delete'; name: string; namespace: string | undefined }
    | {
        kind: 'replace';
        items: Array<{ name: string; namespace: string | undefined; identities: string[] }>;
      };

  const names = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const namespaces = fc.constantFrom(undefined, 'ns1', 'ns2');
  const identitySets = fc.array(fc.constantFrom('x', 'y', 'z', 'w'), { maxLength: 3 });
  const item = fc.record({ name: names, namespace: namespaces, identities: identitySets });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: item.map((i) => ({ kind: 'upsert' as const, ...i })) },
    {
      weight: 3,
      arbitrary: fc
        .record({ name: names, namespace: namespaces })
        .map((i) => ({ kind: 'delete' as const, ...i })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uniqueArray(item, { selector: (i) => `${i.namespace}/${i.name}`, maxLength: 8 })
        .map((items) => ({ kind: 'replace' as const, items })),
    },
  );

  it('keeps indexes equal to a naive scan under random upserts, deletes and replaces', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const store = new Store<Labelled>({ indexers: { byIdentity } });
        const model = new Map<string, Labelled>();
        let version = 0;
        for (const step of ops) {
          if (step.kind === 'upsert') {
            const o = obj(step.name, step.namespace, String(++version), step.identities);
            store.upsert(o);
            model.set(keyOf(o), o);
          } else if (step.kind === 'delete') {
            const key = keyOf(obj(step.name, step.namespace, ''));
            expect(store.delete(key)).toBe(model.get(key));
            model.delete(key);
          } else {
            const items = step.items.map((i) => obj(i.name, i.namespace, String(++version), i.identities));
            const before = new Map(model);
            const diff = store.replace(items);
            model.clear();
            for (const o of items) model.set(keyOf(o), o);
            expect(diff.added.map(keyOf).sort()).toEqual(
              [...model.keys()].filter((k) => !before.has(k)).sort(),
            );
            expect(diff.deleted.map(keyOf).sort()).toEqual(
              [...before.keys()].filter((k) => !model.has(k)).sort(),
            );
            expect(diff.updated.map(({ obj }) => keyOf(obj)).sort()).toEqual(
              [...model.keys()].filter((k) => before.has(k)).sort(),
            );
          }
          expect(store.keys().sort()).toEqual([...model.keys()].sort());
          for (const [key, o] of model) expect(store.get(key)).toBe(o);
          for (const identity of ['x', 'y', 'z', 'w']) {
            const expected = [...model.values()]
              .filter((o) => o.spec.identities.includes(identity))
              .map(keyOf)
              .sort();
            expect(store.byIndex('byIdentity', identity).map(keyOf).sort()).toEqual(expected);
          }
        }
      }),
    );
  });
});
