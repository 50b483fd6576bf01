import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Heap in use after a full collection while what `build` returns is still referenced: the bytes a
 * data structure holds, measured by differences between two calls.
 */
export function heapHolding(build: () => unknown): number {
  const held = build();
  collect();
  const used = getHeapStatistics().used_heap_size;
  if (held === undefined) throw new Error('heapHolding: build returned nothing to hold');
  return used;
}
