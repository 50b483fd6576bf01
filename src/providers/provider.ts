import type {
  AccessLevel,
  CloudAccountSpec,
  Drift,
  FunctionStatus,
  Grant,
  PodIdentityAssociationStatus,
  Principal,
  ProviderName,
  WorkloadIdentitySpec,
} from '../api/index.js';
import type { Context } from '../runtime/context.js';

/**
 * The one contract between the reconcilers and a cloud. Every method is idempotent: creating
 * what exists is not an error, deleting what is missing is not an error. Every asynchronous method
 * takes the reconcile's context first, whose signal must reach each cloud call. Failures are thrown
 * as `ClassifiedError` (src/runtime/errors.ts), classified once by the cloud's own classifier.
 */
export interface CloudProvider {
  readonly name: ProviderName | 'memory';
  readonly accounts: AccountClient;
  readonly identities: ExternalClient<IdentityRequest, IdentityObservation> & IdentityValidator;
  readonly grants: ExternalClient<GrantRequest, GrantObservation> & GrantResolver;
}

/** Observe, create, update, delete: the shape of every managed cloud thing. */
export interface ExternalClient<Request, Observation> {
  observe(ctx: Context, request: Request): Promise<Observation>;
  create(ctx: Context, request: Request): Promise<Observation>;
  update(ctx: Context, request: Request, observed: Observation): Promise<Observation>;
  delete(ctx: Context, request: Request): Promise<void>;
}

/** Who a cloud object belongs to, as written into its tags, labels or description. */
export interface Owner {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface AccountRequest {
  name: string;
  spec: CloudAccountSpec;
}

export interface AccountObservation {
  /** Who the operator is in the account (an ARN, an email, an object id). */
  callerIdentity: string;
}

/** What the account's check may need to keep account-wide objects in step with the identities. */
export interface AccountContext {
  /** The principals of the account's identities (for Google Cloud's guardrail deny policy). */
  principals: Principal[];
}

export interface AccountClient {
  /**
   * Proves the credentials work for this account (and keeps account-wide objects such as AWS's OIDC
   * provider or Google Cloud's guardrail deny policy); throws a ClassifiedError when they do not.
   */
  check(ctx: Context, account: AccountRequest, context: AccountContext): Promise<AccountObservation>;
}

export interface IdentityRequest {
  owner: Owner;
  account: AccountRequest;
  /** The spec with API defaults applied. */
  spec: WorkloadIdentitySpec;
  /** Take over an existing unowned identity (the keyless.dev/adopt annotation). */
  adopt: boolean;
  /**
   * The serverless functions status says Keyless made run as the identity. Another role on one of
   * these is drift; on any other listed function it is the spec not applied yet.
   */
  attachedFunctions?: readonly string[];
  /** The ServiceAccounts whose EKS Pod Identity association status says Keyless had in place. */
  associatedServiceAccounts?: readonly string[];
}

export interface Observation {
  exists: boolean;
  /** True when the cloud matches the request; `drift` says where it does not. */
  upToDate: boolean;
  drift: Drift[];
  /**
   * The fields of `drift` that are the spec not yet applied rather than out-of-band changes (a
   * function Keyless has not attached yet): applied whatever the drift policy.
   */
  pending?: string[];
}

export interface IdentityObservation extends Observation {
  /** The deterministic cloud name, known even before the identity exists. */
  externalName: string;
  /** The owner read back from the cloud object; undefined when it carries no Keyless owner. */
  owner: Owner | undefined;
  principal: Principal | undefined;
  /**
   * The serverless functions the spec says run as the identity, each with what the cloud shows
   * (for status). A function's own failure (missing, forbidden) is reported here, not thrown, so
   * the identity and its other functions still converge. Undefined when the spec names none.
   */
  functions?: FunctionStatus[];
  /** AWS with spec.aws.podIdentity: each ServiceAccount's EKS Pod Identity association (for status). */
  podIdentityAssociations?: PodIdentityAssociationStatus[];
}

export interface GrantRequest {
  /** The binding that owns these grants. */
  owner: Owner;
  account: AccountRequest;
  identity: { owner: Owner; externalName: string; principal: Principal };
  grants: ResolvedGrant[];
  /** When the grants end; the cloud enforces it too where it can. */
  expiresAt: Date | undefined;
  /** What status says this binding last applied, so grants dropped from the spec can be removed. */
  previous: { resource: string; summary: string }[];
  /** Google Cloud: the IAM members status says this binding last granted to (unset or empty when unknown). */
  previousMembers?: string[];
  /**
   * The grants of the identity's other live bindings. Where the cloud merges grants into shared
   * policies (Google Cloud), removing this binding's grant must not take away one they still need.
   */
  otherGrants: ResolvedGrant[];
}

export interface GrantObservation extends Observation {
  /** What the cloud allows now, per resource, for status. */
  applied: { resource: string; summary: string }[];
  /** Google Cloud: the IAM members the grants are given to. */
  members?: string[];
}

/** A grant translated into the cloud's own permission vocabulary. */
export interface ResolvedGrant {
  resource: string;
  /** The cloud-neutral level, when the grant used one. */
  access: AccessLevel | undefined;
  /** AWS actions, or one Google Cloud / Azure role. */
  permissions: string[];
  /**
   * What the permissions apply to, in the cloud's terms: AWS the ARNs of the statement; Google
   * Cloud the IAM policy's resource; Azure the role assignment's scope.
   */
  scopes: string[];
  /** Whether `permissions` are actions or roles, for guardrails. */
  permissionKind: 'action' | 'role';
  /** Google Cloud: the IAM condition expression that narrows the grant (resource, expiry). */
  condition?: string;
}

export interface IdentityValidator {
  /**
   * Pure: checks the identity request against what the cloud would refuse (a session duration out
   * of range, too many tags, a subject the cloud cannot trust), before any call and before the
   * finalizer. Throws a terminal ClassifiedError naming the field.
   */
  validate(request: IdentityRequest): void;
}

export interface GrantResolver {
  /**
   * Pure: translates grants through the cloud's access catalogue and checks what the cloud would
   * refuse (malformed resource names, size limits). Throws a terminal ClassifiedError naming the grant.
   */
  resolve(grants: Grant[], account: AccountRequest): ResolvedGrant[];
}

export interface UsageReader {
  /**
   * Reads how the cloud has seen the identity used. Idempotent, read-only, context-first. Throws a
   * ClassifiedError when the cloud refuses (its message names the API and the missing permission,
   * reason one of Reason.UsageReviewForbidden / Reason.UsageApiDisabled / Reason.UsageReviewIncomplete
   * or a normal retryable/throttled class).
   */
  review(ctx: Context, request: UsageRequest): Promise<UsageReport>;
}

export interface UsageRequest {
  account: AccountRequest;
  externalName: string;
  principal: Principal; // status.principal of the identity
  spec: WorkloadIdentitySpec; // defaults applied (gcp.mode tells Direct)
}

export interface UsageReport {
  /** The cloud's own name for the evidence: 'RoleLastUsed', 'serviceAccountLastAuthentication', 'servicePrincipalSignInActivities'. */
  source: string;
  /** Set when the cloud cannot tell this identity's use at all (Direct mode, Graph data unavailable): the reason, for status. */
  unavailable?: string;
  /** The last time the cloud saw the identity authenticate; undefined = never seen (within what the cloud tracks). */
  lastUsed?: Date;
  /** Where: AWS RoleLastUsed.Region; Azure sign-in location/resource when offered; else undefined. */
  lastUsedWhere?: string;
  /** Since when the cloud's record covers (AWS: 400 days tracking window; GCP observationPeriod.startTime; Azure: when offered). */
  trackedSince?: Date;
  /**
   * Per service, where the cloud tracks it (AWS service namespace 's3', with actions where AWS tracks
   * them). Google Cloud and Azure: undefined (they offer identity-level evidence only).
   */
  services?: { service: string; lastUsed?: Date; actions?: { action: string; lastUsed?: Date }[] }[];
}

/** Finds the provider serving an account; implementations cache clients per account. */
export interface ProviderRegistry {
  forAccount(account: AccountRequest): CloudProvider;
}
