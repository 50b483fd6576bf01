import { API_VERSION } from '../api/index.js';
import { KubeApiError } from '../kube-api/api-error.js';
import type { KubeClient } from '../kube-api/client.js';
import { eventFromKube, type KeylessEvent, type RawEvent, type ViewKind } from '../views/index.js';
import { CliError, EXIT } from './exit-codes.js';
import { KIND_DEFINITIONS } from './object-ref.js';

/** What a read returned, or why there is nothing: RBAC forbids it, or the object does not exist. */
export type Readable<T> = { ok: true; value: T } | { ok: false; why: string };

const PAGE = 500;
/** The plugin's changes are the user's, not the operator's: managedFields keeps the two apart. */
const CLI_FIELD_MANAGER = 'kubectl-keyless';

/** Keyless's objects and their Events through the user's own connection; every failure is a CliError. */
export class KeylessApi {
  constructor(
    private readonly client: KubeClient,
    private readonly server: string,
  ) {}

  /** Every object of a kind in one namespace, or in all (`undefined`), page by page. */
  async list<T>(kind: ViewKind, namespace: string | undefined): Promise<T[]> {
    const plural = KIND_DEFINITIONS[kind].plural;
    const path = `/apis/${API_VERSION}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
    return this.pages<T>(path, {}, `listing ${plural}${namespace ? ` in namespace ${namespace}` : ''}`);
  }

  /** Like list, with a 401 or 403 answered rather than thrown. */
  async tryList<T>(kind: ViewKind, namespace: string | undefined): Promise<Readable<T[]>> {
    return readable(this.list<T>(kind, namespace));
  }

  async get<T>(kind: ViewKind, namespace: string | undefined, name: string): Promise<T> {
    const definition = KIND_DEFINITIONS[kind];
    const scoped = definition.scope === 'Namespaced' ? namespace : undefined;
    const path = `/apis/${API_VERSION}${scoped ? `/namespaces/${scoped}` : ''}/${definition.plural}/${name}`;
    try {
      return await this.client.request<T>('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        throw new CliError(
          `${kind} ${name} not found${scoped ? ` in namespace ${scoped}` : ''}`,
          EXIT.denied,
          { cause: err },
        );
      }
      throw this.failure(err, `reading ${kind} ${name}`);
    }
  }

  /** Like get, with a 401, a 403 or a missing object answered rather than thrown. */
  async tryGet<T>(kind: ViewKind, namespace: string | undefined, name: string): Promise<Readable<T>> {
    return readable(this.get<T>(kind, namespace, name));
  }

  /** The Events about one object (by uid), from core/v1, which serves events.k8s.io/v1's too. */
  async events(namespace: string, uid: string): Promise<Readable<KeylessEvent[]>> {
    const listed = await readable(
      this.pages<RawEvent>(
        `/api/v1/namespaces/${namespace}/events`,
        { fieldSelector: `involvedObject.uid=${uid}` },
        `listing Events in namespace ${namespace}`,
      ),
    );
    if (!listed.ok) return listed;
    return { ok: true, value: listed.value.flatMap((raw) => eventFromKube(raw) ?? []) };
  }

  async namespaces(): Promise<Readable<string[]>> {
    const listed = await readable(
      this.pages<{ metadata: { name: string } }>('/api/v1/namespaces', {}, 'listing namespaces'),
    );
    return listed.ok ? { ok: true, value: listed.value.map((n) => n.metadata.name).sort() } : listed;
  }

  /** A JSON merge patch; with `resourceVersion` in the patch the API server refuses it if the object changed. */
  async mergePatch<T>(
    kind: ViewKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
  ): Promise<T> {
    const definition = KIND_DEFINITIONS[kind];
    const scoped = definition.scope === 'Namespaced' ? namespace : undefined;
    const path = `/apis/${API_VERSION}${scoped ? `/namespaces/${scoped}` : ''}/${definition.plural}/${name}`;
    try {
      return await this.client.request<T>('PATCH', path, {
        body: patch,
        contentType: 'application/merge-patch+json',
        query: { fieldManager: CLI_FIELD_MANAGER },
      });
    } catch (err) {
      throw this.failure(err, `changing ${kind} ${name}`);
    }
  }

  close(): void {
    this.client.close();
  }

  private async pages<T>(path: string, query: Record<string, string>, doing: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined;
    do {
      let page: { items?: T[]; metadata?: { continue?: string } };
      try {
        page = await this.client.request('GET', path, {
          query: { ...query, limit: String(PAGE), ...(next ? { continue: next } : {}) },
        });
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 404 && path.includes(API_VERSION)) {
          throw new CliError(
            `the API server at ${this.server} does not serve ${API_VERSION}: are Keyless's CRDs installed?`,
            EXIT.denied,
            { cause: err },
          );
        }
        throw this.failure(err, doing);
      }
      items.push(...(page.items ?? []));
      next = page.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /** The user's credentials or RBAC (401, 403) exit with `denied`; anything else is the API server's failure. */
  private failure(err: unknown, doing: string): CliError {
    if (err instanceof KubeApiError) {
      if (err.statusCode === 401) {
        return new CliError(
          `${doing}: the API server at ${this.server} does not accept your credentials (401 Unauthorized)`,
          EXIT.denied,
          { cause: err },
        );
      }
      if (err.statusCode === 403) {
        return new CliError(err.body?.message ?? `${doing}: forbidden`, EXIT.denied, { cause: err });
      }
      return new CliError(`${doing}: ${err.body?.message ?? err.message}`, EXIT.apiError, { cause: err });
    }
    return new CliError(
      `${doing}: cannot reach the API server at ${this.server}: ${rootMessage(err)}`,
      EXIT.apiError,
      {
        cause: err,
      },
    );
  }
}

/** The API server refused a write because the object changed since it was read (409). */
export function isConflict(err: unknown): boolean {
  return err instanceof CliError && err.cause instanceof KubeApiError && err.cause.statusCode === 409;
}

async function readable<T>(read: Promise<T>): Promise<Readable<T>> {
  try {
    return { ok: true, value: await read };
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.denied) return { ok: false, why: err.message };
    throw err;
  }
}

/** The innermost cause's message: ECONNREFUSED, a TLS failure, a timeout. */
function rootMessage(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
