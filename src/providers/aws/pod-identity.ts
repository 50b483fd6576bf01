/**
 * EKS Pod Identity associations, pure: which associations an identity wants (one per
 * ServiceAccount subject, in the account's EKS cluster) and what to do about the ones EKS holds.
 * EKS allows one association per cluster, namespace and ServiceAccount, so an association Keyless
 * does not own is never changed or deleted: it is a conflict, reported.
 */
import type { Drift, PodIdentityAssociationStatus } from '../../api/index.js';
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

/** What to do, given the associations EKS holds in the identity's namespace. */
export function planAssociations(
  owner: Owner,
  desired: readonly DesiredAssociation[],
  observed: readonly ObservedAssociation[],
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
    if (!sameOwner(foundOwner, owner)) {
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

/** The drift field of the association of one ServiceAccount. */
export function associationField(serviceAccount: string): string {
  return `podIdentityAssociations[${serviceAccount}]`;
}

/**
 * Status, drift and pending fields of a plan. An association missing or naming another role
 * differs from the spec: out-of-band drift when status says Keyless had it in place
 * (`associatedBefore`), otherwise the spec not applied yet (`pending`, applied whatever the drift
 * policy), as is removing Keyless's own association of a ServiceAccount no longer a subject.
 */
export function associationStates(
  cluster: EksClusterRef,
  plan: AssociationPlan,
  associatedBefore: ReadonlySet<string>,
): { states: PodIdentityAssociationStatus[]; drift: Drift[]; pending: string[] } {
  const states: PodIdentityAssociationStatus[] = [];
  const drift: Drift[] = [];
  const pending: string[] = [];
  const differs = (serviceAccount: string, row: Drift) => {
    drift.push(row);
    if (!associatedBefore.has(serviceAccount)) pending.push(row.field);
  };
  for (const a of plan.upToDate) {
    states.push({
      serviceAccount: a.serviceAccount,
      associationId: a.associationId,
      roleArn: a.roleArn,
      state: 'Associated',
    });
  }
  for (const c of plan.correct) {
    const serviceAccount = c.wanted.serviceAccount;
    states.push({
      serviceAccount,
      associationId: c.associationId,
      roleArn: c.foundRoleArn,
      state: 'Drifted',
      message: `The Pod Identity association of ServiceAccount ${serviceAccount} names ${c.foundRoleArn}, not ${c.wanted.roleArn}.`,
    });
    differs(serviceAccount, {
      field: `${associationField(serviceAccount)}.roleArn`,
      wanted: c.wanted.roleArn,
      found: c.foundRoleArn,
    });
  }
  for (const d of plan.create) {
    if (associatedBefore.has(d.serviceAccount)) {
      states.push({
        serviceAccount: d.serviceAccount,
        state: 'Drifted',
        message: `The Pod Identity association of ServiceAccount ${d.serviceAccount} was deleted from EKS cluster ${cluster.name}.`,
      });
    }
    differs(d.serviceAccount, {
      field: associationField(d.serviceAccount),
      wanted: d.roleArn,
      found: 'absent',
    });
  }
  for (const r of plan.remove) {
    drift.push({ field: associationField(r.serviceAccount), wanted: 'absent', found: r.roleArn });
    pending.push(associationField(r.serviceAccount));
  }
  for (const c of plan.conflicts) {
    states.push({
      serviceAccount: c.serviceAccount,
      associationId: c.associationId,
      roleArn: c.roleArn,
      state: 'Conflict',
      message: conflictMessage(cluster, c),
    });
  }
  states.sort((a, b) => a.serviceAccount.localeCompare(b.serviceAccount));
  return { states, drift, pending };
}

/** The message of a conflict, naming the association and who holds it. */
export function conflictMessage(cluster: EksClusterRef, c: AssociationConflict): string {
  return `EKS cluster ${cluster.name} already has Pod Identity association ${c.associationId} for ServiceAccount ${c.serviceAccount} (role ${c.roleArn}), held by ${c.heldBy}; EKS allows one per ServiceAccount, so Keyless leaves it alone until it is deleted`;
}
