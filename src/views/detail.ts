import type { AccountView, BindingView, IdentityView, ReadModel, ViewKind } from './model.js';

/** One identity with what a person wants beside it: its account and each of its bindings. */
export interface IdentityDetail {
  identity: IdentityView;
  account?: AccountView;
  bindings: BindingView[];
}

export function identityDetail(
  model: ReadModel,
  namespace: string,
  name: string,
): IdentityDetail | undefined {
  const identity = model.identities.find((v) => v.namespace === namespace && v.name === name);
  if (!identity) return undefined;
  const account = model.accounts.find((a) => a.name === identity.account);
  return {
    identity,
    ...(account ? { account } : {}),
    bindings: model.bindings.filter((b) => b.namespace === namespace && b.identity === name),
  };
}

/** One object's view by kind, namespace (empty for a CloudAccount) and name. */
export function findView(
  model: ReadModel,
  kind: ViewKind,
  namespace: string,
  name: string,
): AccountView | IdentityView | BindingView | undefined {
  if (kind === 'CloudAccount') return model.accounts.find((v) => v.name === name);
  const list = kind === 'WorkloadIdentity' ? model.identities : model.bindings;
  return list.find((v) => v.namespace === namespace && v.name === name);
}
