/** A binary min-heap of (time, key) pairs: the delayed adds of a work queue, earliest first. */
export class DelayHeap {
  private readonly times: number[] = [];
  private readonly keys: string[] = [];

  get size(): number {
    return this.times.length;
  }

  /** The earliest time, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  push(at: number, key: string): void {
    this.times.push(at);
    this.keys.push(key);
    this.up(this.times.length - 1);
  }

  /** Removes and returns the earliest pair. */
  pop(): { at: number; key: string } | undefined {
    const at = this.times[0];
    const key = this.keys[0];
    if (at === undefined || key === undefined) return undefined;
    const lastAt = this.times.pop() as number;
    const lastKey = this.keys.pop() as string;
    if (this.times.length > 0) {
      this.times[0] = lastAt;
      this.keys[0] = lastKey;
      this.down(0);
    }
    return { at, key };
  }

  clear(): void {
    this.times.length = 0;
    this.keys.length = 0;
  }

  /** Replaces the contents with `entries` (key → time). */
  rebuild(entries: ReadonlyMap<string, number>): void {
    this.clear();
    for (const [key, at] of entries) this.push(at, key);
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.times[parent] as number) <= (this.times[i] as number)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    const n = this.times.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && (this.times[left] as number) < (this.times[smallest] as number)) smallest = left;
      if (right < n && (this.times[right] as number) < (this.times[smallest] as number)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.times[a] as number;
    this.times[a] = this.times[b] as number;
    this.times[b] = t;
    const k = this.keys[a] as string;
    this.keys[a] = this.keys[b] as string;
    this.keys[b] = k;
  }
}
