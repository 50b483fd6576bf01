import { describe, expect, it } from 'vitest';
import { forCache } from '../../../src/kube-api/list-watch.js';
import { StringPool } from '../../../src/kube-api/string-pool.js';
import type { KubeObject } from '../../../src/runtime/kube-object.js';
import { heapHolding } from '../../support/heap.js';

const MESSAGE = 'The last reconcile succeeded, and every grant matches what the spec asks.';
const parsedCopies = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.parse(
      JSON.stringify({ metadata: { name: `o-${i}` }, status: { conditions: [{ message: MESSAGE }] } }),
    ),
  ) as KubeObject[];

describe('StringPool', () => {
  it('changes no value: every string, number, boolean and null comes back equal, nested or not', () => {
    const pool = new StringPool();
    const value = {
      apiVersion: 'keyless.dev/v1alpha1',
      metadata: {
        name: 'a',
        finalizers: ['keyless.dev/cleanup'],
        generation: 3,
        labels: { long: 'x'.repeat(300) },
      },
      status: {
        conditions: [{ type: 'Ready', status: 'True', observed: true, gone: null }],
        list: [['nested-string-value']],
      },
    };
    const copy = structuredClone(value);
    expect(pool.internAll(copy)).toBe(copy);
    expect(copy).toEqual(value);
  });

  it('keeps one copy of a repeated string: parsed objects sharing a message hold it once', () => {
    const n = 20_000;
    const base = heapHolding(() => 0);
    const unshared = heapHolding(() => parsedCopies(n)) - base;
    const pool = new StringPool();
    const shared = heapHolding(() => parsedCopies(n).map((o) => pool.internAll(o))) - base;
    // Each unshared copy of the 73-character message costs about 90 bytes.
    expect(unshared - shared).toBeGreaterThan(n * 70);
  });

  it('holds at most its capacity, then starts again empty', () => {
    const pool = new StringPool(3);
    for (const text of ['first-string', 'second-string', 'third-string']) pool.intern(text);
    expect(pool.size()).toBe(3);
    pool.intern('second-string');
    expect(pool.size()).toBe(3);
    pool.intern('fourth-string');
    expect(pool.size()).toBe(1);
  });

  it('leaves out strings V8 shares itself and strings longer than its limit', () => {
    const pool = new StringPool(10, 20);
    pool.intern('Ready');
    pool.intern('x'.repeat(21));
    expect(pool.size()).toBe(0);
    pool.intern('x'.repeat(20));
    expect(pool.size()).toBe(1);
  });

  it('sets own fields only: a parsed "__proto__" key stays a field and the prototype is untouched', () => {
    const parsed = JSON.parse('{"__proto__": "an own field, not a prototype"}') as Record<string, unknown>;
    new StringPool().internAll(parsed);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('an own field, not a prototype');
  });

  it('is what forCache shares cached objects through', () => {
    const n = 20_000;
    const base = heapHolding(() => 0);
    const cached = heapHolding(() => parsedCopies(n).map((o) => forCache(o))) - base;
    const unshared = heapHolding(() => parsedCopies(n)) - base;
    expect(unshared - cached).toBeGreaterThan(n * 70);
  });
});
