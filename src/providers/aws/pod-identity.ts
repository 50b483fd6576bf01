/**
 * EKS Pod Identity associations, pure: which associations an identity wants (one per
 * ServiceAccount subject, in the account's EKS cluster) and what to do about the ones EKS holds.
 * EKS allows one association per cluster, namespace and ServiceAccount, so an association Keyless
 * does not own is never changed or deleted: it is a conflict, reported.
 */
import type { Drift } from '../../api/index.js';
import type { IdentityRequest, Owner } from '../provider.js';
import { describeOwner, ownerFromTags, ownerTags, sameOwner } from '../shared/ownership.js';
import { awsAccountOf } from './mapping.js';

export interface EksClusterRef {
  name: string;
  region: string;
}

export interface DesiredAssociation {
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  tags: Record<string, string>;
}

/** An association as EKS describes it (the fields Keyless reads). */
export interface ObservedAssociation {
  associationId: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  tags: Record<string, string>;
}

export interface AssociationConflict {
  serviceAccount: string;
  associationId: string;
  /** Who the association's tags name, in words. */
  heldBy: string;
  roleArn: string;
}

export interface AssociationPlan {
  create: DesiredAssociation[];
  /** Keyless's own associations that name another role: put the identity's role back (or report it). */
  correct: { associationId: string; wanted: DesiredAssociation; foundRoleArn: string }[];
  /** Keyless's own associations for ServiceAccounts no longer among the subjects. */
  remove: ObservedAssociation[];
  conflicts: AssociationConflict[];
  upToDate: ObservedAssociation[];
}

/** The cluster whose associations this identity needs, or undefined when it asks for none. */
export function podIdentityCluster(request: IdentityRequest): EksClusterRef | undefined {
  if (!request.spec.aws?.podIdentity) return undefined;
  const aws = awsAccountOf(request.account);
  if (!aws.eksCluster) return undefined;
  return { name: aws.eksCluster.name, region: aws.eksCluster.region ?? aws.region };
}

export function desiredAssociations(request: IdentityRequest, roleArn: string): DesiredAssociation[] {
  if (!podIdentityCluster(request)) return [];
  const tags = ownerTags(request.owner);
  return request.spec.subjects
    .flatMap((s) => (s.serviceAccount ? [s.serviceAccount.name] : []))
    .sort()
    .map((serviceAccount) => ({ namespace: request.owner.namespace, serviceAccount, roleArn, tags }));
}

/**
 * What to do, given the associations EKS holds in the identity's namespace. `adopt` takes over an
 * association no Keyless object owns (as the keyless.dev/adopt annotation does for the role).
 */
export function planAssociations(
  owner: Owner,
  desired: readonly DesiredAssociation[],
  observed: readonly ObservedAssociation[],
  adopt: boolean,
): AssociationPlan {
  const plan: AssociationPlan = { create: [], correct: [], remove: [], conflicts: [], upToDate: [] };
  const bySubject = new Map(observed.map((a) => [`${a.namespace}/${a.serviceAccount}`, a]));
  const wantedSubjects = new Set(desired.map((d) => `${d.namespace}/${d.serviceAccount}`));
  for (const wanted of desired) {
    const found = bySubject.get(`${wanted.namespace}/${wanted.serviceAccount}`);
    if (!found) {
      plan.create.push(wanted);
      continue;
    }
    const foundOwner = ownerFromTags(found.tags);
    const ours = sameOwner(foundOwner, owner) || (adopt && foundOwner === undefined);
    if (!ours) {
      plan.conflicts.push({
        serviceAccount: wanted.serviceAccount,
        associationId: found.associationId,
        heldBy: describeOwner(foundOwner),
        roleArn: found.roleArn,
      });
    } else if (found.roleArn !== wanted.roleArn) {
      plan.correct.push({ associationId: found.associationId, wanted, foundRoleArn: found.roleArn });
    } else {
      plan.upToDate.push(found);
    }
  }
  for (const found of observed) {
    if (wantedSubjects.has(`${found.namespace}/${found.serviceAccount}`)) continue;
    if (sameOwner(ownerFromTags(found.tags), owner)) plan.remove.push(found);
  }
  return plan;
}

/** The drift rows of a plan: each association that is missing or names another role. */
export function associationDrift(plan: AssociationPlan): Drift[] {
  return [
    ...plan.create.map((d) => ({
      field: `podIdentityAssociations[${d.serviceAccount}]`,
      wanted: d.roleArn,
      found: 'absent',
    })),
    ...plan.correct.map((c) => ({
      field: `podIdentityAssociations[${c.wanted.serviceAccount}].roleArn`,
      wanted: c.wanted.roleArn,
      found: c.foundRoleArn,
    })),
  ];
}

/** The message of a conflict, naming the association and who holds it. */
export function conflictMessage(cluster: EksClusterRef, c: AssociationConflict): string {
  return `EKS cluster ${cluster.name} already has Pod Identity association ${c.associationId} for ServiceAccount ${c.serviceAccount} (role ${c.roleArn}), held by ${c.heldBy}; EKS allows one per ServiceAccount, so Keyless leaves it alone: delete it, or annotate the WorkloadIdentity keyless.dev/adopt=true if no Keyless object owns it`;
}
