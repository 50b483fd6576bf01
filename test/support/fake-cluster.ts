import type { CloudAccount, IdentityBinding, KubeObject, WorkloadIdentity } from '../../src/api/index.js';
import type {
  ClusterReader,
  ClusterWriter,
  EventRecorder,
  EventType,
  KeylessKind,
  ServiceAccountState,
  ServiceAccounts,
} from '../../src/reconcilers/ports.js';

type Stored = KubeObject & { spec: unknown; status?: unknown };

export interface RecordedEvent {
  kind: KeylessKind;
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/**
 * The reconcilers' ports backed by plain maps, for reconciler unit tests. It keeps the parts of
 * API-server behaviour the reconcilers rely on (generation bumps on spec change, deletion waits
 * for finalizers, status lives apart from spec) and counts every write. The real adapters are
 * tested against a real kube-apiserver in test/integration.
 */
export class FakeCluster implements ClusterReader, ClusterWriter, ServiceAccounts, EventRecorder {
  readonly objects = new Map<string, Stored>();
  readonly serviceAccountAnnotations = new Map<string, Record<string, string>>();
  readonly events: RecordedEvent[] = [];
  readonly writes = { status: 0, finalizers: 0, serviceAccounts: 0 };
  private version = 1;
  private uid = 1;
  now = () => new Date('2026-01-01T00:00:00Z');

  // ---- test-side API ----------------------------------------------------------------------

  apply<T extends Stored>(kind: KeylessKind, object: T): T {
    const key = keyFor(kind, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(object.spec);
    const stored = {
      ...structuredClone(object),
      metadata: {
        ...structuredClone(object.metadata),
        uid: existing?.metadata.uid ?? `uid-${this.uid++}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? this.now().toISOString(),
        generation: (existing?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(this.version++),
        finalizers: existing?.metadata.finalizers ?? object.metadata.finalizers,
        ...(existing?.metadata.deletionTimestamp
          ? { deletionTimestamp: existing.metadata.deletionTimestamp }
          : {}),
      },
      status: existing?.status ?? object.status,
    } as T;
    this.objects.set(key, stored);
    return stored;
  }

  /** Marks for deletion; the object goes once its finalizers are gone. */
  delete(kind: KeylessKind, namespace: string | undefined, name: string): void {
    const key = keyFor(kind, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return;
    if (!existing.metadata.finalizers?.length) {
      this.objects.delete(key);
      return;
    }
    existing.metadata = { ...existing.metadata, deletionTimestamp: this.now().toISOString() };
  }

  object<T extends Stored>(kind: KeylessKind, namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(keyFor(kind, namespace, name)) as T | undefined;
  }

  addServiceAccount(namespace: string, name: string, annotations: Record<string, string> = {}): void {
    this.serviceAccountAnnotations.set(`${namespace}/${name}`, { ...annotations });
  }

  totalWrites(): number {
    return this.writes.status + this.writes.finalizers + this.writes.serviceAccounts;
  }

  // ---- ClusterReader ----------------------------------------------------------------------

  account(name: string): CloudAccount | undefined {
    return this.object<CloudAccount>('CloudAccount', undefined, name);
  }
  identity(namespace: string, name: string): WorkloadIdentity | undefined {
    return this.object<WorkloadIdentity>('WorkloadIdentity', namespace, name);
  }
  binding(namespace: string, name: string): IdentityBinding | undefined {
    return this.object<IdentityBinding>('IdentityBinding', namespace, name);
  }
  bindingsOf(namespace: string, identityName: string): IdentityBinding[] {
    return this.all<IdentityBinding>('IdentityBinding').filter(
      (b) => b.metadata.namespace === namespace && b.spec.identityRef.name === identityName,
    );
  }
  identitiesOf(accountName: string): WorkloadIdentity[] {
    return this.all<WorkloadIdentity>('WorkloadIdentity').filter(
      (i) => i.spec.accountRef.name === accountName,
    );
  }
  identitiesUsingServiceAccount(namespace: string, serviceAccount: string): WorkloadIdentity[] {
    return this.all<WorkloadIdentity>('WorkloadIdentity').filter(
      (i) =>
        i.metadata.namespace === namespace &&
        i.spec.subjects.some((s) => s.serviceAccount?.name === serviceAccount),
    );
  }

  // ---- ClusterWriter ----------------------------------------------------------------------

  async addFinalizer(kind: KeylessKind, object: KubeObject, finalizer: string): Promise<void> {
    const stored = this.mustGet(kind, object);
    this.writes.finalizers++;
    stored.metadata = {
      ...stored.metadata,
      finalizers: [...(stored.metadata.finalizers ?? []), finalizer],
      resourceVersion: String(this.version++),
    };
  }

  async removeFinalizer(kind: KeylessKind, object: KubeObject, finalizer: string): Promise<void> {
    const stored = this.mustGet(kind, object);
    this.writes.finalizers++;
    const finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (finalizers.length === 0 && stored.metadata.deletionTimestamp) {
      this.objects.delete(keyFor(kind, object.metadata.namespace, object.metadata.name));
      return;
    }
    stored.metadata = { ...stored.metadata, finalizers, resourceVersion: String(this.version++) };
  }

  async writeStatus(kind: KeylessKind, object: KubeObject, status: unknown): Promise<void> {
    const stored = this.mustGet(kind, object);
    this.writes.status++;
    const key = keyFor(kind, object.metadata.namespace, object.metadata.name);
    this.objects.set(key, {
      ...stored,
      metadata: { ...stored.metadata, resourceVersion: String(this.version++) },
      status: structuredClone(status),
    });
  }

  // ---- ServiceAccounts --------------------------------------------------------------------

  async get(namespace: string, name: string): Promise<ServiceAccountState> {
    const annotations = this.serviceAccountAnnotations.get(`${namespace}/${name}`);
    return { exists: annotations !== undefined, annotations: { ...(annotations ?? {}) } };
  }

  async applyAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): Promise<void> {
    this.writes.serviceAccounts++;
    const key = `${namespace}/${name}`;
    const current = this.serviceAccountAnnotations.get(key) ?? {};
    const owned = this.keylessOwned.get(key) ?? new Set<string>();
    const next = Object.fromEntries(
      Object.entries(current).filter(([k]) => !owned.has(k) || k in annotations),
    );
    this.serviceAccountAnnotations.set(key, { ...next, ...annotations });
    this.keylessOwned.set(key, new Set(Object.keys(annotations)));
  }
  private readonly keylessOwned = new Map<string, Set<string>>();

  // ---- EventRecorder ----------------------------------------------------------------------

  async record(
    kind: KeylessKind,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    this.events.push({ kind, name: object.metadata.name, type, reason, message });
  }

  // ---- helpers ----------------------------------------------------------------------------

  private all<T extends Stored>(kind: KeylessKind): T[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}:`)).map(([, v]) => v as T);
  }

  private mustGet(kind: KeylessKind, object: KubeObject): Stored {
    const stored = this.objects.get(keyFor(kind, object.metadata.namespace, object.metadata.name));
    if (!stored) throw new Error(`${kind} ${object.metadata.name} not found`);
    return stored;
  }
}

function keyFor(kind: KeylessKind, namespace: string | undefined, name: string): string {
  return `${kind}:${namespace ?? ''}/${name}`;
}
