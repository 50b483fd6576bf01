import type { KubeObject, KubeStatus } from '../../../src/runtime/kube-object.js';
import { keyOf } from '../../../src/runtime/kube-object.js';
import type {
  ListResult,
  ListWatchSource,
  WatchEvent,
  WatchHandle,
} from '../../../src/runtime/list-watch-source.js';

export interface TestObject extends KubeObject {
  spec: { value: string };
}

/** How a new watch behaves. */
export type WatchMode =
  /** Replays history after its resourceVersion, then streams changes. */
  | 'normal'
  /** Fails while connecting, calling onDone(err) before watch() resolves (client-node does this). */
  | 'fail-while-connecting'
  /** Connects, then the stream fails at once (ECONNRESET). */
  | 'fail-after-connect'
  /** watch() itself rejects. */
  | 'reject'
  /** Connects and then never says anything again (the silent watch of client-node #596). */
  | 'silent';

interface ActiveWatch<T> {
  readonly id: number;
  readonly onEvent: (...event: WatchEvent<T>) => void;
  readonly onDone: (err?: unknown) => void;
  silent: boolean;
  aborted: boolean;
  ended: boolean;
}

interface LogEntry<T> {
  readonly revision: number;
  readonly event: WatchEvent<T>;
}

const GONE_STATUS: KubeStatus = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Expired',
  message: 'too old resource version',
  code: 410,
};

/**
 * An in-memory API collection with the semantics an informer relies on: lists are snapshots with a
 * resourceVersion, watches replay history after their resourceVersion and stream changes, and
 * compacted history answers 410 (as an HTTP error or an in-stream ERROR event).
 *
 * resourceVersions count *down* (`999999990`, `999999989`, …): any code comparing them as numbers
 * or strings instead of treating them as opaque will misbehave.
 *
 * It holds `TestObject`s by default (`upsert`); any other kind's objects go in with `apply`.
 */
export class FakeListWatchSource<T extends KubeObject = TestObject> implements ListWatchSource<T> {
  readonly objects = new Map<string, T>();
  /** What the informer asked for, in order: `list`, `watch#N from RV`, `abort#N`. */
  readonly calls: string[] = [];
  listCalls = 0;
  watchCalls = 0;
  watchMode: WatchMode = 'normal';
  expiredAs: 'http' | 'in-stream' = 'http';
  /** Errors the next list calls throw, one per call. */
  readonly listFailures: unknown[] = [];
  private revision = 0;
  private compactedThrough = 0;
  private readonly log: LogEntry<T>[] = [];
  private readonly watches: ActiveWatch<T>[] = [];

  static resourceVersion(revision: number): string {
    return String(1_000_000_000 - revision);
  }

  private static revisionOf(resourceVersion: string): number {
    return 1_000_000_000 - Number(resourceVersion);
  }

  activeWatches(): number {
    return this.open().length;
  }

  upsert(
    this: FakeListWatchSource<TestObject>,
    name: string,
    value: string,
    namespace: string | undefined = 'ns',
  ): TestObject {
    return this.apply({ metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { value } });
  }

  /** Creates or replaces the object (a copy, with the next resourceVersion) and returns the copy. */
  apply(object: T): T {
    const resourceVersion = FakeListWatchSource.resourceVersion(++this.revision);
    const obj = structuredClone(object);
    obj.metadata = { ...obj.metadata, resourceVersion };
    const key = keyOf(obj);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.objects.set(key, obj);
    this.record([type, obj]);
    return obj;
  }

  remove(key: string): void {
    const existing = this.objects.get(key);
    if (!existing) throw new Error(`no object ${key}`);
    this.objects.delete(key);
    const resourceVersion = FakeListWatchSource.resourceVersion(++this.revision);
    this.record(['DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion } }]);
  }

  /** Delivers the current object again with its unchanged resourceVersion (a duplicate event). */
  resend(key: string): void {
    const existing = this.objects.get(key);
    if (!existing) throw new Error(`no object ${key}`);
    for (const watch of this.live()) watch.onEvent('MODIFIED', existing);
  }

  /** Forgets history up to now: watches from an older resourceVersion get 410. */
  compact(): void {
    this.compactedThrough = this.revision;
  }

  bookmark(): void {
    const metadata = { name: '', resourceVersion: FakeListWatchSource.resourceVersion(this.revision) };
    const bookmark = { metadata, spec: { value: '' } } as KubeObject as T;
    for (const watch of this.live()) watch.onEvent('BOOKMARK', bookmark);
  }

  sendError(status: KubeStatus): void {
    for (const watch of this.live()) watch.onEvent('ERROR', status);
  }

  /** Ends every open watch, as a dropped connection or a server-side timeout does. */
  endWatches(err?: unknown): void {
    for (const watch of this.open()) this.end(watch, err);
  }

  /** Makes open watches stop delivering (without ending them). */
  silenceWatches(): void {
    for (const watch of this.live()) watch.silent = true;
  }

  async list(): Promise<ListResult<T>> {
    this.calls.push('list');
    this.listCalls++;
    await Promise.resolve();
    const failure = this.listFailures.shift();
    if (failure !== undefined) throw failure;
    return {
      items: [...this.objects.values()],
      resourceVersion: FakeListWatchSource.resourceVersion(this.revision),
    };
  }

  async watch(
    resourceVersion: string,
    onEvent: (...event: WatchEvent<T>) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    const watch: ActiveWatch<T> = {
      id: ++this.watchCalls,
      onEvent,
      onDone,
      silent: false,
      aborted: false,
      ended: false,
    };
    this.calls.push(`watch#${watch.id} from ${resourceVersion}`);
    const handle = {
      abort: () => {
        if (watch.aborted) return;
        watch.aborted = true;
        this.calls.push(`abort#${watch.id}`);
        // client-node reports an abort through done() as well; the informer must ignore it.
        this.end(watch, new Error('The operation was aborted'));
      },
    };
    if (this.watchMode === 'reject') throw new Error('connect ECONNREFUSED');
    if (this.watchMode === 'fail-while-connecting') {
      this.end(watch, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      return handle;
    }
    await Promise.resolve();
    this.watches.push(watch);
    if (this.watchMode === 'fail-after-connect') {
      this.end(watch, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      return handle;
    }
    if (this.watchMode === 'silent') watch.silent = true;
    const from = FakeListWatchSource.revisionOf(resourceVersion);
    if (from < this.compactedThrough) {
      if (this.expiredAs === 'http') {
        this.end(watch, Object.assign(new Error('Gone'), { statusCode: 410 }));
      } else {
        // The API server answers 200, sends one ERROR event, and closes the stream.
        onEvent('ERROR', GONE_STATUS);
        this.end(watch, undefined);
      }
      return handle;
    }
    if (!watch.silent) {
      for (const entry of this.log) if (entry.revision > from) onEvent(...entry.event);
    }
    return handle;
  }

  private open(): ActiveWatch<T>[] {
    return this.watches.filter((w) => !w.aborted && !w.ended);
  }

  private live(): ActiveWatch<T>[] {
    return this.open().filter((w) => !w.silent);
  }

  private end(watch: ActiveWatch<T>, err: unknown): void {
    if (watch.ended) return;
    watch.ended = true;
    watch.onDone(err);
  }

  private record(event: WatchEvent<T>): void {
    this.log.push({ revision: this.revision, event });
    for (const watch of this.live()) watch.onEvent(...event);
  }
}

export const GONE = GONE_STATUS;
