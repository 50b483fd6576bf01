import { allViews, type ObjectView, type ReadModel, type ViewKind } from './model.js';
import { type ObjectState, STATES } from './state.js';

/** Narrows the list of everything; unset fields match all. */
export interface ViewFilter {
  kind?: ViewKind;
  namespace?: string;
  cloud?: string;
  account?: string;
  state?: ObjectState;
  /** Case-insensitive, in the name, `namespace/name`, the principal or the cloud name. */
  search?: string;
}

/** The values each filter can take in this model, sorted, for a person to pick from. */
export interface Facets {
  kinds: ViewKind[];
  namespaces: string[];
  clouds: string[];
  accounts: string[];
  states: ObjectState[];
}

export function filterViews(model: ReadModel, filter: ViewFilter): ObjectView[] {
  const search = filter.search?.trim().toLowerCase();
  return allViews(model).filter(
    (view) =>
      (!filter.kind || view.kind === filter.kind) &&
      (!filter.namespace || view.namespace === filter.namespace) &&
      (!filter.cloud || view.cloud === filter.cloud) &&
      (!filter.account || view.account === filter.account) &&
      (!filter.state || view.state === filter.state) &&
      (!search || searchable(view).some((text) => text.toLowerCase().includes(search))),
  );
}

export function facetsOf(model: ReadModel): Facets {
  const views = allViews(model);
  const distinct = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => !!v))].sort();
  const states = new Set(views.map((v) => v.state));
  const kinds = new Set(views.map((v) => v.kind));
  return {
    kinds: (['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'] as const).filter((k) => kinds.has(k)),
    namespaces: distinct(views.map((v) => v.namespace)),
    clouds: distinct(views.map((v) => v.cloud)),
    accounts: distinct(views.map((v) => v.account)),
    states: STATES.filter((s) => states.has(s)),
  };
}

function searchable(view: ObjectView): string[] {
  const own = [view.name, view.namespace ? `${view.namespace}/${view.name}` : view.name];
  if (view.kind === 'WorkloadIdentity') {
    return [
      ...own,
      view.principal?.id ?? '',
      view.externalName ?? '',
      ...(view.principal?.fields ?? []).map((f) => f.value),
    ];
  }
  if (view.kind === 'IdentityBinding') return [...own, view.identity, view.principal ?? ''];
  return [...own, view.target.value, view.callerIdentity ?? ''];
}
