/**
 * Shares equal strings among the objects the informers cache. JSON.parse gives every string value
 * of more than 10 characters a copy of its own (V8 shares the shorter ones), and cached objects
 * repeat many longer ones: apiVersion, kind, finalizers, the fixed messages and reasons of
 * conditions, and the timestamps one status write gives all its conditions. Bounded: once it holds
 * `capacity` strings it starts again empty, so strings seen once (uids, names) do not pile up,
 * while those already shared stay shared and the repeated ones come back at their next sighting.
 */
export class StringPool {
  private strings = new Map<string, string>();

  constructor(
    private readonly capacity = 8192,
    /** Longer strings (a manifest, a long message) are left as they are: rarely repeated, costly to hash. */
    private readonly maxLength = 256,
  ) {}

  /** The pool's string equal to `text`, which becomes it if there is none. */
  intern(text: string): string {
    if (text.length <= SHARED_BY_V8 || text.length > this.maxLength) return text;
    const pooled = this.strings.get(text);
    if (pooled !== undefined) return pooled;
    if (this.strings.size >= this.capacity) this.strings = new Map();
    this.strings.set(text, text);
    return text;
  }

  /** Replaces every string in a parsed JSON value with the pool's, in place; returns `value`. */
  internAll<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'string') value[i] = this.intern(item);
        else this.internAll(item);
      }
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        // An own property: assigning to it never reaches a setter, `__proto__` included.
        const field = record[key];
        if (typeof field === 'string') record[key] = this.intern(field);
        else this.internAll(field);
      }
    }
    return value;
  }

  /** Strings held now. */
  size(): number {
    return this.strings.size;
  }
}

/** V8's JSON.parse internalizes string values of up to this many characters itself. */
const SHARED_BY_V8 = 10;
