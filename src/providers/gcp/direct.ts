import type { GcpMode } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { serviceOf } from '../../policy/gcp-resource-names.js';
import { terminal } from '../../runtime/errors.js';
import type { IdentityRequest, ResolvedGrant } from '../provider.js';
import { type GcpAccount, gcpAccountOf, validateServiceAccountIdentity, workloadMember } from './mapping.js';

/** The identity's own spec.gcp.mode wins over its account's spec.gcp.defaultMode; unset: ServiceAccount. */
export function gcpModeOf(request: Pick<IdentityRequest, 'spec' | 'account'>): GcpMode {
  return request.spec.gcp?.mode ?? gcpAccountOf(request.account).defaultMode ?? 'ServiceAccount';
}

/**
 * The project whose number a GKE pool's principals carry: `PROJECT.svc.id.goog` names it by id.
 * Undefined for a federation pool, whose resource name carries its number already.
 */
export function gkePoolProject(gcp: GcpAccount): string | undefined {
  return /^([a-z][a-z0-9-]{4,28}[a-z0-9])\.svc\.id\.goog$/.exec(gcp.workloadIdentityPool)?.[1];
}

/** The pool's project number when the account already says it (the pool is in the account's project). */
export function knownPoolProjectNumber(gcp: GcpAccount): string | undefined {
  const project = gkePoolProject(gcp);
  if (project === undefined || project === gcp.projectId) return gcp.projectNumber;
  return undefined;
}

/**
 * The principal identifier Google Cloud gives a Kubernetes ServiceAccount of a GKE pool
 * (`principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/PROJECT.svc.id.goog/subject/ns/NS/sa/SA`),
 * or the subject of a federation pool. `poolProjectNumber` is the GKE pool's project's number.
 */
export function directMember(
  gcp: GcpAccount,
  poolProjectNumber: string,
  namespace: string,
  serviceAccount: string,
): string {
  const pool = gcp.workloadIdentityPool;
  if (!gkePoolProject(gcp)) {
    if (pool.endsWith('.svc.id.goog')) {
      throw terminal(
        Reason.InvalidAccount,
        `spec.gcp.workloadIdentityPool ${pool} names no valid project id`,
      );
    }
    return workloadMember(gcp, namespace, serviceAccount);
  }
  return `principal://iam.googleapis.com/projects/${poolProjectNumber}/locations/global/workloadIdentityPools/${pool}/subject/ns/${namespace}/sa/${serviceAccount}`;
}

/** One member per ServiceAccount subject, sorted. */
export function directMembers(request: IdentityRequest, poolProjectNumber: string): string[] {
  const gcp = gcpAccountOf(request.account);
  return [
    ...new Set(
      request.spec.subjects.flatMap((s) =>
        s.serviceAccount
          ? [directMember(gcp, poolProjectNumber, request.owner.namespace, s.serviceAccount.name)]
          : [],
      ),
    ),
  ].sort();
}

/** Checks what mode Direct cannot do, before any call: a serverless function needs a service account to run as. */
export function validateDirect(request: IdentityRequest): void {
  if (gcpModeOf(request) !== 'Direct') return;
  const serverless = request.spec.subjects.find((s) => s.serverless);
  if (serverless) {
    throw terminal(
      Reason.InvalidSpec,
      `subject serverless.platform ${serverless.serverless?.platform}: a function runs as a service account, which gcp mode Direct does not create; use mode ServiceAccount`,
    );
  }
  directMembers(request, knownPoolProjectNumber(gcpAccountOf(request.account)) ?? '0');
}

/**
 * Grants Keyless knows a federated principal cannot use: roles that only mean something held by the
 * service account a job or node runs as (Google runs it as that account, never as a federated
 * principal), and services that do not accept federated tokens. Matched on the resource's service
 * (`//SERVICE/…`) or on the role. Products that accept federated principals only with limits Keyless
 * cannot see from a grant (VPC Service Controls perimeters, signed URLs) are in the README.
 */
export interface DirectLimit {
  product: string;
  /** Services whose resources are refused. */
  services?: readonly string[];
  /** Roles refused, by pattern. */
  roles?: RegExp;
  why: string;
}

export const DIRECT_LIMITS: readonly DirectLimit[] = [
  {
    product: 'Dataflow, Dataproc, Cloud Composer and Cloud Build workers',
    roles: /^roles\/(dataflow\.worker|dataproc\.worker|composer\.worker|cloudbuild\.builds\.builder)$/,
    why: 'a worker role is held by the service account a job runs as, and a job cannot run as a federated principal',
  },
  {
    product: 'GKE node service accounts',
    roles: /^roles\/container\.(defaultNodeServiceAccount|nodeServiceAccount)$/,
    why: 'nodes run as a service account, never as a federated principal',
  },
  {
    product: 'service agents',
    roles: /^roles\/[A-Za-z0-9]+\.serviceAgent$/,
    why: 'service agent roles are for the service accounts Google Cloud services act as',
  },
];

/** Why mode Direct cannot use `grant`, or undefined when nothing Keyless knows refuses it. */
export function directAccessProblem(
  grant: Pick<ResolvedGrant, 'resource' | 'permissions'>,
  limits: readonly DirectLimit[] = DIRECT_LIMITS,
): string | undefined {
  const service = grant.resource.startsWith('//') ? serviceOf(grant.resource) : undefined;
  const role = grant.permissions[0] ?? '';
  const limit = limits.find(
    (l) => (service !== undefined && (l.services ?? []).includes(service)) || (l.roles?.test(role) ?? false),
  );
  if (!limit) return undefined;
  return `${role} on ${grant.resource}: ${limit.product}: ${limit.why}; set spec.gcp.mode ServiceAccount on the WorkloadIdentity`;
}

/**
 * Everything about the identity that Google Cloud would refuse, in its mode, checked before any
 * call (SDK-free: the reconcilers run it before the provider module is loaded).
 */
export function validateGcpIdentity(request: IdentityRequest): void {
  validateDirect(request);
  if (gcpModeOf(request) === 'ServiceAccount') validateServiceAccountIdentity(request);
}

/** Refuses, before any call, grants that mode Direct cannot give. */
export function checkDirectGrants(grants: readonly ResolvedGrant[]): void {
  const problems = grants.flatMap((g, index) => {
    const problem = directAccessProblem(g);
    return problem ? [`grant ${index} (${g.resource}): ${problem}`] : [];
  });
  if (problems.length > 0) throw terminal(Reason.DirectAccessUnsupported, problems.join('; '));
}

export function isDirectPrincipal(principal: { members?: string[] | undefined }): boolean {
  return principal.members !== undefined;
}
