import type { Principal, ProviderName, WorkloadIdentity } from '../api/index.js';
import type { ClusterReader } from './ports.js';
import { isBeingDeleted, policies } from './requests.js';

/** The annotation each cloud's SDK reads from a pod's ServiceAccount to find its identity. */
export const SERVICE_ACCOUNT_ANNOTATION: Record<ProviderName, string> = {
  aws: 'eks.amazonaws.com/role-arn',
  gcp: 'iam.gke.io/gcp-service-account',
  azure: 'azure.workload.identity/client-id',
};

export function serviceAccountAnnotation(
  provider: ProviderName,
  principal: Principal | undefined,
): { key: string; value: string } | undefined {
  // Google Cloud mode Direct: the workload is its own principal, there is no service account to name.
  if (principal?.members) return undefined;
  const value =
    { aws: principal?.roleArn, gcp: principal?.email, azure: principal?.clientId }[provider] ?? principal?.id;
  return value ? { key: SERVICE_ACCOUNT_ANNOTATION[provider], value } : undefined;
}

export function serviceAccountNames(identity: WorkloadIdentity): { name: string; create: boolean }[] {
  return identity.spec.subjects.flatMap((s) =>
    s.serviceAccount ? [{ name: s.serviceAccount.name, create: s.serviceAccount.create ?? false }] : [],
  );
}

/**
 * The annotations Keyless wants on one ServiceAccount, from every managed identity in the namespace
 * that names it. Server-side apply replaces Keyless's whole set each time, so the set must include
 * the other identities' annotations too (an AWS and a Google Cloud identity may share a
 * ServiceAccount). `current` is the identity being reconciled, with the principal just observed
 * (undefined while it is being removed). When two identities of one cloud claim the same
 * ServiceAccount, the older one wins; `claimedBy` says which identity each annotation is for.
 */
export function wantedAnnotations(
  cluster: ClusterReader,
  namespace: string,
  serviceAccount: string,
  current: { identity: WorkloadIdentity; principal: Principal | undefined },
): { annotations: Record<string, string>; claimedBy: Record<string, string> } {
  const others = cluster
    .identitiesUsingServiceAccount(namespace, serviceAccount)
    .filter((wi) => wi.metadata.name !== current.identity.metadata.name)
    .filter((wi) => !isBeingDeleted(wi) && policies.management(wi) === 'Manage')
    .map((wi) => ({ identity: wi, principal: wi.status?.principal }));
  const claimants = [...others, current].sort(
    (a, b) =>
      (a.identity.metadata.creationTimestamp ?? '').localeCompare(
        b.identity.metadata.creationTimestamp ?? '',
      ) || a.identity.metadata.name.localeCompare(b.identity.metadata.name),
  );
  const annotations: Record<string, string> = {};
  const claimedBy: Record<string, string> = {};
  for (const { identity, principal } of claimants) {
    const provider = cluster.account(identity.spec.accountRef.name)?.spec.provider;
    const annotation = provider ? serviceAccountAnnotation(provider, principal) : undefined;
    if (annotation && !(annotation.key in annotations)) {
      annotations[annotation.key] = annotation.value;
      claimedBy[annotation.key] = identity.metadata.name;
    }
  }
  return { annotations, claimedBy };
}
