import type { KubeObject } from '../api/index.js';
import { isConflict, isNotFound, type KubeClient } from '../kube-api/client.js';
import type { ClusterWriter, KeylessKind, StatusOf } from '../reconcilers/ports.js';
import { FIELD_MANAGER_QUERY } from './field-manager.js';
import { resourcePath } from './resources.js';

/** Attempts at adding a finalizer to an object that keeps changing under it. */
const FINALIZER_ATTEMPTS = 3;

/**
 * Finalizers by JSON patch, each guarded so that a list the cache has not seen yet is never
 * overwritten: an add first tests the resourceVersion the caller saw (another controller's
 * finalizer added since then fails the patch, and the add is tried again on the object as it is
 * now); a remove tests the exact position first. Status by merge patch on the status subresource:
 * only Keyless writes status, one worker per object at a time. Every write names Keyless's field
 * manager.
 */
export class KubeClusterWriter implements ClusterWriter {
  constructor(private readonly client: KubeClient) {}

  async addFinalizer(
    kind: KeylessKind,
    object: KubeObject,
    finalizer: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = resourcePath(kind, object.metadata.namespace, object.metadata.name);
    let seen = object;
    for (let attempt = 1; !seen.metadata.finalizers?.includes(finalizer); attempt++) {
      try {
        await this.client.write('PATCH', path, {
          body: finalizerAddition(seen, finalizer),
          contentType: 'application/json-patch+json',
          query: FIELD_MANAGER_QUERY,
          ...(signal ? { signal } : {}),
        });
        return;
      } catch (err) {
        const what = `adding finalizer ${finalizer} on ${kind} ${keyOf(object)}`;
        const refused = isConflict(err) || isUnprocessable(err);
        if (!refused || attempt >= FINALIZER_ATTEMPTS) throw new Error(what, { cause: err });
        const current = await this.client
          .request<KubeObject>('GET', path, { ...(signal ? { signal } : {}) })
          .catch((readErr: unknown) => {
            throw new Error(`${what}: re-reading it after the patch was refused`, { cause: readErr });
          });
        // Refused on the very version it tested: not a race, so trying again cannot help.
        if (current.metadata.resourceVersion === seen.metadata.resourceVersion)
          throw new Error(what, { cause: err });
        seen = current;
      }
    }
  }

  async removeFinalizer(
    kind: KeylessKind,
    object: KubeObject,
    finalizer: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const index = object.metadata.finalizers?.indexOf(finalizer) ?? -1;
    if (index === -1) return;
    const patch = [
      { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
      { op: 'remove', path: `/metadata/finalizers/${index}` },
    ];
    try {
      await this.patch(kind, object, patch, `removing finalizer ${finalizer}`, signal);
    } catch (err) {
      if (!isNotFound((err as Error).cause)) throw err;
    }
  }

  async writeStatus<K extends KeylessKind>(kind: K, object: KubeObject, status: StatusOf[K]): Promise<void> {
    const path = `${resourcePath(kind, object.metadata.namespace, object.metadata.name)}/status`;
    try {
      await this.client.write('PATCH', path, {
        body: { status: withNulls(status) },
        contentType: 'application/merge-patch+json',
        query: FIELD_MANAGER_QUERY,
      });
    } catch (err) {
      throw new Error(`writing status of ${kind} ${keyOf(object)}`, { cause: err });
    }
  }

  private async patch(
    kind: KeylessKind,
    object: KubeObject,
    patch: object[],
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const path = resourcePath(kind, object.metadata.namespace, object.metadata.name);
    try {
      await this.client.write('PATCH', path, {
        body: patch,
        contentType: 'application/json-patch+json',
        query: FIELD_MANAGER_QUERY,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new Error(`${what} on ${kind} ${keyOf(object)}`, { cause: err });
    }
  }
}

/**
 * A merge patch removes a field only when it is sent as null; undefined fields would be kept. Nested
 * objects (such as status.principal) merge too, so their undefined fields are sent as null as well.
 */
function withNulls(status: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(status).map(([k, v]) => [k, v === undefined ? null : isPlainObject(v) ? withNulls(v) : v]),
  );
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The patch applies only to the version `seen` is: its list is extended (a JSON patch `add` of the
 * whole list would replace the server's, dropping entries the caller has not seen) and the test
 * on resourceVersion fails the patch if the server's list differs.
 */
function finalizerAddition(seen: KubeObject, finalizer: string): object[] {
  const guard = { op: 'test', path: '/metadata/resourceVersion', value: seen.metadata.resourceVersion };
  return seen.metadata.finalizers
    ? [guard, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [guard, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
}

/** A failed JSON patch `test` is answered 422. */
function isUnprocessable(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 422;
}

function keyOf(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}
