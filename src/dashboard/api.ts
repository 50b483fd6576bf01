import {
  type AttentionItem,
  allViews,
  attentionOf,
  facetsOf,
  filterViews,
  findView,
  identityDetail,
  type ObjectView,
  type ReadModel,
  STATES,
  type ViewFilter,
  type ViewKind,
} from '../views/index.js';
import {
  type AccountAnswer,
  API_PREFIX,
  type AttentionEntry,
  type BindingAnswer,
  type IdentityAnswer,
  type ObjectSummary,
  type Overview,
} from './api-types.js';
import { objectPath } from './paths.js';

export type ApiAnswer =
  | { status: 200; body: Overview | IdentityAnswer | BindingAnswer | AccountAnswer }
  | { status: 400 | 404; body: { error: string } };

const KINDS: readonly ViewKind[] = ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'];

export function summaryOf(view: ObjectView): ObjectSummary {
  return {
    kind: view.kind,
    ...(view.namespace ? { namespace: view.namespace } : {}),
    name: view.name,
    state: view.state,
    reason: view.reason,
    message: view.message,
    ...(view.since ? { since: view.since } : {}),
    ...(view.cloud ? { cloud: view.cloud } : {}),
    ...(view.account ? { account: view.account } : {}),
    ...principalOf(view),
    ...(view.kind === 'IdentityBinding' ? { identity: view.identity } : {}),
    ...(view.kind === 'IdentityBinding' && view.expiresAt ? { expiresAt: view.expiresAt } : {}),
    drift: view.drift.length,
    path: objectPath(view.kind, view.namespace, view.name),
  };
}

function principalOf(view: ObjectView): { principal?: string } {
  const principal =
    view.kind === 'WorkloadIdentity'
      ? view.principal?.id
      : view.kind === 'IdentityBinding'
        ? view.principal
        : view.callerIdentity;
  return principal ? { principal } : {};
}

function attentionEntry(item: AttentionItem): AttentionEntry {
  return {
    why: item.why,
    reason: item.reason,
    message: item.message,
    ...(item.since ? { since: item.since } : {}),
    object: summaryOf(item.view),
  };
}

/** The filter a query string asks for; an error naming the parameter for a value that cannot match. */
export function filterFrom(query: URLSearchParams): ViewFilter | { error: string } {
  const filter: ViewFilter = {};
  for (const [key, value] of query) {
    if (value === '') continue;
    if (key === 'kind') {
      if (!KINDS.includes(value as ViewKind)) return { error: `kind must be one of ${KINDS.join(', ')}` };
      filter.kind = value as ViewKind;
    } else if (key === 'state') {
      if (!(STATES as readonly string[]).includes(value))
        return { error: `state must be one of ${STATES.join(', ')}` };
      filter.state = value as (typeof STATES)[number];
    } else if (key === 'namespace' || key === 'cloud' || key === 'account' || key === 'search') {
      filter[key] = value;
    } else {
      return {
        error: `unknown parameter ${key}: the overview takes kind, namespace, cloud, account, state and search`,
      };
    }
  }
  return filter;
}

/**
 * The answer to a GET under /api/v1 (without the prefix: `/overview`, `/cloudaccounts/NAME` ...),
 * from the part of the model the caller may see.
 */
export function answer(
  model: ReadModel,
  path: string,
  query: URLSearchParams,
  context: { revision: number; user?: string },
): ApiAnswer {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 1 && parts[0] === 'overview') {
    const filter = filterFrom(query);
    if ('error' in filter) return { status: 400, body: filter };
    return {
      status: 200,
      body: {
        now: model.now,
        revision: context.revision,
        ...(context.user ? { user: context.user } : {}),
        attention: attentionOf(model).map(attentionEntry),
        objects: filterViews(model, filter).map(summaryOf),
        total: allViews(model).length,
        facets: facetsOf(model),
      },
    };
  }
  const notFound = (what: string) => ({ status: 404 as const, body: { error: `${what} not found` } });
  if (parts.length === 2 && parts[0] === 'cloudaccounts' && parts[1]) {
    const account = model.accounts.find((a) => a.name === parts[1]);
    return account ? { status: 200, body: { account } } : notFound(`CloudAccount ${parts[1]}`);
  }
  if (parts.length === 4 && parts[0] === 'namespaces' && parts[1] && parts[3]) {
    const [, namespace, plural, name] = parts as [string, string, string, string];
    if (plural === 'workloadidentities') {
      const detail = identityDetail(model, namespace, name);
      return detail ? { status: 200, body: detail } : notFound(`WorkloadIdentity ${namespace}/${name}`);
    }
    if (plural === 'identitybindings') {
      const binding = model.bindings.find((b) => b.namespace === namespace && b.name === name);
      if (!binding) return notFound(`IdentityBinding ${namespace}/${name}`);
      const identity = findView(model, 'WorkloadIdentity', namespace, binding.identity);
      return { status: 200, body: { binding, ...(identity ? { identity: summaryOf(identity) } : {}) } };
    }
  }
  return notFound(`${API_PREFIX}${path}`);
}
