import { createHash } from 'node:crypto';
import type { Clock } from '../runtime/clock.js';
import type { TokenBucket } from '../runtime/token-bucket.js';
import type { NamespaceAccess, NamespacedKind, ViewAccess } from '../views/index.js';

/** Who a bearer token belongs to, as TokenReview says. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type ListedResource = 'cloudaccounts' | 'workloadidentities' | 'identitybindings';

/** The two reviews the dashboard asks the API server for. */
export interface Reviews {
  /** The token's user, or undefined when the API server does not accept the token. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether the user may `list` the resource in `namespace`, or in every namespace when undefined. */
  mayList(user: ReviewedUser, resource: ListedResource, namespace: string | undefined): Promise<boolean>;
}

export type AccessOutcome =
  | { kind: 'granted'; user: string; access: ViewAccess }
  /** No token, or one the API server does not accept: 401. */
  | { kind: 'unauthenticated'; message: string }
  /** A user who may list none of the kinds anywhere: 403. */
  | { kind: 'forbidden'; user: string }
  /** The review budget is spent for now: 429. */
  | { kind: 'throttled'; retryAfterSeconds: number };

export interface AccessReviewerOptions {
  reviews: Reviews;
  clock: Clock;
  /** How long one token's review and its decisions are reused. */
  cacheMs: number;
  /** One token per review sent to the API server. */
  budget: TokenBucket;
  /** Tokens remembered at most; past it the oldest are forgotten first. */
  maxTokens?: number;
}

interface TokenEntry {
  at: number;
  user: Promise<ReviewedUser | undefined>;
  decisions: Map<string, Promise<boolean>>;
}

const RESOURCES: Record<NamespacedKind, ListedResource> = {
  WorkloadIdentity: 'workloadidentities',
  IdentityBinding: 'identitybindings',
};

class ReviewsThrottled extends Error {
  override readonly name = 'ReviewsThrottled';
}

/**
 * Decides what the holder of a bearer token may see: TokenReview for who they are, then
 * SubjectAccessReview for `list` on each kind, in all namespaces first and else namespace by
 * namespace (only those that hold objects of that kind). Each token's answers are reused for
 * `cacheMs`, keyed by the token's SHA-256 (the token itself is not kept), and every review sent
 * takes a token from a shared budget, so no caller can make the dashboard flood the API server.
 */
export class AccessReviewer {
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly maxTokens: number;

  constructor(private readonly options: AccessReviewerOptions) {
    this.maxTokens = options.maxTokens ?? 1000;
  }

  /**
   * What `authorization` (the request's Authorization header) may see of the namespaces that hold
   * objects (asked for only once the token is known to be good).
   */
  async review(
    authorization: string | undefined,
    namespacesOf: () => Record<NamespacedKind, readonly string[]>,
  ): Promise<AccessOutcome> {
    const token = bearerToken(authorization);
    if (!token) {
      return {
        kind: 'unauthenticated',
        message: 'a Kubernetes bearer token is required (Authorization: Bearer TOKEN)',
      };
    }
    try {
      const entry = this.entryFor(token);
      const user = await entry.user;
      if (!user) return { kind: 'unauthenticated', message: 'the API server did not accept this token' };
      const namespaces = namespacesOf();
      const decide = (resource: ListedResource, namespace: string | undefined) =>
        this.decision(entry, user, resource, namespace);
      const [accounts, identities, bindings] = await Promise.all([
        decide('cloudaccounts', undefined),
        this.namespaceAccess(decide, RESOURCES.WorkloadIdentity, namespaces.WorkloadIdentity),
        this.namespaceAccess(decide, RESOURCES.IdentityBinding, namespaces.IdentityBinding),
      ]);
      const access: ViewAccess = {
        accounts,
        namespaces: { WorkloadIdentity: identities, IdentityBinding: bindings },
      };
      const none = (a: NamespaceAccess) => a !== 'all' && a.size === 0;
      if (!accounts && none(identities) && none(bindings)) return { kind: 'forbidden', user: user.username };
      return { kind: 'granted', user: user.username, access };
    } catch (err) {
      if (err instanceof ReviewsThrottled) return { kind: 'throttled', retryAfterSeconds: 1 };
      throw err;
    }
  }

  private async namespaceAccess(
    decide: (resource: ListedResource, namespace: string | undefined) => Promise<boolean>,
    resource: ListedResource,
    namespaces: readonly string[],
  ): Promise<NamespaceAccess> {
    if (await decide(resource, undefined)) return 'all';
    const allowed = await Promise.all(namespaces.map((ns) => decide(resource, ns)));
    return new Set(namespaces.filter((_, i) => allowed[i]));
  }

  private entryFor(token: string): TokenEntry {
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.options.clock.now();
    const cached = this.tokens.get(key);
    if (cached && now - cached.at < this.options.cacheMs) return cached;
    const entry: TokenEntry = {
      at: now,
      user: this.sent(() => this.options.reviews.authenticate(token)),
      decisions: new Map(),
    };
    // A review that failed is not reused: the next request asks again.
    entry.user.catch(() => this.tokens.get(key) === entry && this.tokens.delete(key));
    this.tokens.delete(key);
    this.tokens.set(key, entry);
    for (const oldest of this.tokens.keys()) {
      if (this.tokens.size <= this.maxTokens) break;
      this.tokens.delete(oldest);
    }
    return entry;
  }

  private decision(
    entry: TokenEntry,
    user: ReviewedUser,
    resource: ListedResource,
    namespace: string | undefined,
  ): Promise<boolean> {
    const key = `${resource}/${namespace ?? ''}`;
    let decision = entry.decisions.get(key);
    if (!decision) {
      decision = this.sent(() => this.options.reviews.mayList(user, resource, namespace));
      const stored = decision;
      stored.catch(() => entry.decisions.get(key) === stored && entry.decisions.delete(key));
      entry.decisions.set(key, stored);
    }
    return decision;
  }

  private sent<T>(review: () => Promise<T>): Promise<T> {
    if (!this.options.budget.tryTake()) return Promise.reject(new ReviewsThrottled('review budget spent'));
    return review();
  }
}

/** The token of an `Authorization: Bearer TOKEN` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
