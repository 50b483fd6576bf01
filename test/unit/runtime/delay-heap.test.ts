import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelayHeap } from '../../../src/runtime/delay-heap.js';

describe('DelayHeap', () => {
  it('pops pairs in time order, whatever order they were pushed in', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.string())), (pairs) => {
        const heap = new DelayHeap();
        for (const [at, key] of pairs) heap.push(at, key);
        expect(heap.size).toBe(pairs.length);
        const popped: [number, string][] = [];
        for (let next = heap.pop(); next; next = heap.pop()) popped.push([next.at, next.key]);
        const times = popped.map(([at]) => at);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        const byTimeAndKey = (list: [number, string][]) =>
          [...list].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
        expect(byTimeAndKey(popped)).toEqual(byTimeAndKey(pairs));
        expect(heap.peekTime()).toBeUndefined();
      }),
    );
  });

  it('keeps each key with its own time', () => {
    const heap = new DelayHeap();
    heap.push(30, 'c');
    heap.push(10, 'a');
    heap.push(20, 'b');
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([
      { at: 10, key: 'a' },
      { at: 20, key: 'b' },
      { at: 30, key: 'c' },
      undefined,
    ]);
  });
});
