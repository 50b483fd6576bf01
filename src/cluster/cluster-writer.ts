import type { KubeObject } from '../api/index.js';
import { isNotFound, type KubeClient } from '../kube-api/client.js';
import type { ClusterWriter, KeylessKind, StatusOf } from '../reconcilers/ports.js';
import { resourcePath } from './resources.js';

/**
 * Finalizers by JSON patch (add appends; remove tests the exact position first, so a concurrent
 * change fails the patch instead of removing the wrong entry) and status by merge patch on the
 * status subresource. Only Keyless writes status, one worker per object at a time.
 */
export class KubeClusterWriter implements ClusterWriter {
  constructor(private readonly client: KubeClient) {}

  async addFinalizer(
    kind: KeylessKind,
    object: KubeObject,
    finalizer: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const current = object.metadata.finalizers;
    if (current?.includes(finalizer)) return;
    const patch = current
      ? [{ op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
      : [{ op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
    await this.patch(kind, object, patch, `adding finalizer ${finalizer}`, signal);
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
      if (!isNotFound(err)) throw err;
    }
  }

  async writeStatus<K extends KeylessKind>(kind: K, object: KubeObject, status: StatusOf[K]): Promise<void> {
    const path = `${resourcePath(kind, object.metadata.namespace, object.metadata.name)}/status`;
    try {
      await this.client.request('PATCH', path, {
        body: { status: withNulls(status) },
        contentType: 'application/merge-patch+json',
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
      await this.client.request('PATCH', path, {
        body: patch,
        contentType: 'application/json-patch+json',
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new Error(`${what} on ${kind} ${keyOf(object)}`, { cause: err });
    }
  }
}

/** A merge patch removes a field only when it is sent as null; undefined fields would be kept. */
function withNulls(status: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(status).map(([k, v]) => [k, v === undefined ? null : v]));
}

function keyOf(object: KubeObject): string {
  return object.metadata.namespace
    ? `${object.metadata.namespace}/${object.metadata.name}`
    : object.metadata.name;
}
