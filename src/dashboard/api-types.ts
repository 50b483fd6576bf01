/**
 * The JSON API's answers (`/api/v1/...`), shared with the browser code. Additions keep the
 * version; a change that removes or renames a field moves to `/api/v2`.
 */
import type {
  AccountView,
  AttentionWhy,
  BindingView,
  Facets,
  IdentityDetail,
  ObjectState,
  ViewKind,
} from '../views/index.js';

export const API_PREFIX = '/api/v1';

/** One line of a list: enough to show and filter it, with the detail one request away. */
export interface ObjectSummary {
  kind: ViewKind;
  namespace?: string;
  name: string;
  state: ObjectState;
  reason: string;
  message: string;
  since?: string;
  cloud?: string;
  account?: string;
  principal?: string;
  /** A binding's identity. */
  identity?: string;
  expiresAt?: string;
  /** How many fields differ from the spec in the cloud. */
  drift: number;
  /** This object's path under /api/v1. */
  path: string;
}

export interface AttentionEntry {
  why: AttentionWhy;
  reason: string;
  message: string;
  since?: string;
  object: ObjectSummary;
}

/** GET /api/v1/overview?kind=&namespace=&cloud=&account=&state=&search= */
export interface Overview {
  /** Milliseconds since the epoch the model was built at. */
  now: number;
  revision: number;
  /** Who the token belongs to; absent when the dashboard asks for none. */
  user?: string;
  /** Everything that needs attention in what the caller may see (the filters do not apply). */
  attention: AttentionEntry[];
  /** What matches the filters. */
  objects: ObjectSummary[];
  /** How many objects the caller may see. */
  total: number;
  facets: Facets;
}

/** GET /api/v1/namespaces/NS/workloadidentities/NAME */
export type IdentityAnswer = IdentityDetail;

/** GET /api/v1/namespaces/NS/identitybindings/NAME */
export interface BindingAnswer {
  binding: BindingView;
  identity?: ObjectSummary;
}

/** GET /api/v1/cloudaccounts/NAME */
export interface AccountAnswer {
  account: AccountView;
}

/** Every error: 400, 401, 403, 404, 405, 429, 503. */
export interface ErrorAnswer {
  error: string;
}

/** `event: revision` of GET /api/v1/watch (text/event-stream): the data changed; fetch again. */
export interface RevisionEvent {
  revision: number;
}
