import { type KubeObject, keyOf } from './kube-object.js';

export { keyOf };

/** Maps an object to the index values under which it can be found. Must be pure. */
export type Indexer<T> = (obj: T) => readonly string[];

export interface StoreOptions<T> {
  indexers?: Record<string, Indexer<T>>;
}

/** What changed when the store's contents were replaced by a fresh list. */
export interface ReplaceDiff<T> {
  added: T[];
  updated: Array<{ old: T; obj: T }>;
  deleted: T[];
}

/**
 * index value → the keys filed under it: one key as itself, more in a Set. Most values of the
 * operator's indexes (a binding's identity, an identity's ServiceAccount) name one object, and a
 * Set of one costs about 200 bytes of heap.
 */
type Index = Map<string, string | Set<string>>;

/** For each index: the index map and the values one object is filed under. */
type IndexValues = Array<[Index, readonly string[]]>;

/** Read access to a store, as handed to consumers of an informer. */
export interface ReadonlyStore<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  size(): number;
  byIndex(indexName: string, value: string): T[];
}

/**
 * An in-memory cache of Kubernetes objects keyed by `keyOf`, with secondary indexes maintained
 * incrementally, so that lookups by key and by index never scan the whole cache.
 */
export class Store<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly items = new Map<string, T>();
  private readonly indexers: ReadonlyMap<string, Indexer<T>>;
  /** index name → index value → keys. */
  private readonly indices = new Map<string, Index>();

  constructor(options: StoreOptions<T> = {}) {
    this.indexers = new Map(Object.entries(options.indexers ?? {}));
    for (const name of this.indexers.keys()) this.indices.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  byIndex(indexName: string, value: string): T[] {
    const keys = this.indexFor(indexName).get(value);
    if (keys === undefined) return [];
    const result: T[] = [];
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const obj = this.items.get(key);
      if (obj) result.push(obj);
    }
    return result;
  }

  /**
   * Inserts or replaces `obj`; returns the object it replaced, if any. If an indexer throws, the
   * store is left unchanged.
   */
  upsert(obj: T): T | undefined {
    return this.put(keyOf(obj), obj, this.indexValuesOf(obj));
  }

  /** Removes the object stored under `key`; returns it, if there was one. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /**
   * Makes the store hold exactly `items` (the result of a list) and returns what changed. An object
   * whose resourceVersion is unchanged is not an update, and the cached copy is kept. All or
   * nothing: if an indexer throws, the store is left unchanged.
   */
  replace(items: readonly T[]): ReplaceDiff<T> {
    const diff: ReplaceDiff<T> = { added: [], updated: [], deleted: [] };
    const changes: Array<{ key: string; obj: T; values: IndexValues }> = [];
    const listed = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      listed.add(key);
      const old = this.items.get(key);
      if (old && sameResourceVersion(old, obj)) continue;
      changes.push({ key, obj, values: this.indexValuesOf(obj) });
      if (old) diff.updated.push({ old, obj });
      else diff.added.push(obj);
    }
    for (const { key, obj, values } of changes) this.put(key, obj, values);
    for (const [key, obj] of this.items) {
      if (listed.has(key)) continue;
      this.delete(key);
      diff.deleted.push(obj);
    }
    return diff;
  }

  private indexFor(indexName: string): Index {
    const index = this.indices.get(indexName);
    if (!index)
      throw new Error(`unknown index "${indexName}"; indexes are declared when the store is created`);
    return index;
  }

  private put(key: string, obj: T, values: IndexValues): T | undefined {
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, values);
    return old;
  }

  private indexValuesOf(obj: T): IndexValues {
    return [...this.indexers].map(([name, indexer]) => [this.indexFor(name), indexer(obj)]);
  }

  private index(key: string, values: IndexValues): void {
    for (const [index, indexValues] of values) {
      for (const value of indexValues) {
        const keys = index.get(value);
        if (keys === undefined || keys === key) index.set(value, key);
        else if (typeof keys === 'string') index.set(value, new Set([keys, key]));
        else keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, indexer] of this.indexers) {
      const index = this.indexFor(name);
      for (const value of indexer(obj)) {
        const keys = index.get(value);
        if (keys === key) index.delete(value);
        else if (typeof keys === 'object') {
          keys.delete(key);
          if (keys.size === 1) index.set(value, keys.values().next().value as string);
        }
      }
    }
  }
}

/** resourceVersions are opaque: equal strings mean the same object version, nothing else is known. */
export function sameResourceVersion(a: KubeObject, b: KubeObject): boolean {
  const version = a.metadata.resourceVersion;
  return version !== undefined && version === b.metadata.resourceVersion;
}
