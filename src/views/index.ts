/**
 * The one read model of Keyless's objects, shared by the dashboard and `kubectl keyless`: pure
 * functions from CloudAccounts, WorkloadIdentities, IdentityBindings, their Events and the audit
 * stream to what a person looks at. It takes objects however they were read (the operator's
 * informer caches, or a list through the API server with the user's kubeconfig) and never holds a
 * credential, a Secret or a token: each view is built field by field from status and spec.
 */
export {
  FULL_ACCESS,
  mayList,
  type NamespaceAccess,
  restrictTo,
  seesNothing,
  type ViewAccess,
} from './access.js';
export {
  ATTENTION,
  type AttentionItem,
  type AttentionWhy,
  attentionOf,
  EXPIRING_WITHIN_MS,
  endsWithin,
} from './attention.js';
export { type CloudChange, RecentChanges } from './changes.js';
export { ConditionHistory, type ConditionTransition, conditionTransitions } from './condition-history.js';
export { findView, type IdentityDetail, identityDetail } from './detail.js';
export { eventFromKube, type KeylessEvent, type RawEvent } from './events.js';
export { type Facets, facetsOf, filterViews, type ViewFilter } from './filters.js';
export {
  type AccountView,
  allViews,
  type BindingView,
  buildReadModel,
  CHANGES_PER_OBJECT,
  type ConditionView,
  EVENTS_PER_OBJECT,
  type Field,
  type GrantView,
  type IdentityView,
  type NamespacedKind,
  type ObjectView,
  type ReadModel,
  type ReadModelInput,
  type SubjectView,
  type ViewKind,
} from './model.js';
export { type ObjectState, STATES, type StateView, stateOf, VIEW_REASONS } from './state.js';
