import type { Drift, PodIdentityAssociationStatus } from '../../api/index.js';
import type { Context } from '../../runtime/context.js';
import type { IdentityRequest } from '../provider.js';
import { ownerFromTags, sameOwner } from '../shared/ownership.js';
import type { EksClient } from './eks-client.js';
import {
  type AssociationPlan,
  associationField,
  associationStates,
  desiredAssociations,
  type EksClusterRef,
  type ObservedAssociation,
  planAssociations,
  podIdentityCluster,
} from './pod-identity.js';

export interface AssociationsObserved {
  states: PodIdentityAssociationStatus[];
  drift: Drift[];
  pending: string[];
}

/**
 * An identity's EKS Pod Identity associations, as one more part of its role: observed with it,
 * created with it, put right with it and deleted with it.
 */
export class PodIdentityAssociations {
  constructor(private readonly eks: EksClient) {}

  /**
   * One list of the namespace's associations, then one read of each that concerns the identity:
   * those of its ServiceAccounts and those status says it had.
   */
  async observe(
    ctx: Context,
    request: IdentityRequest,
    roleArn: string,
  ): Promise<AssociationsObserved | undefined> {
    const cluster = podIdentityCluster(request);
    if (!cluster) return undefined;
    const plan = await this.plan(ctx, request, cluster, roleArn);
    return associationStates(cluster, plan, new Set(request.associatedServiceAccounts ?? []));
  }

  /** A new role: one association per ServiceAccount, one call each (none is read first). */
  async create(
    ctx: Context,
    request: IdentityRequest,
    roleArn: string,
  ): Promise<AssociationsObserved | undefined> {
    const cluster = podIdentityCluster(request);
    if (!cluster) return undefined;
    const plan: AssociationPlan = { create: [], correct: [], remove: [], conflicts: [], upToDate: [] };
    for (const wanted of desiredAssociations(request, roleArn)) {
      plan.upToDate.push(await this.eks.create(ctx, cluster, wanted));
    }
    return associationStates(cluster, plan, new Set());
  }

  /**
   * Makes the fields of `fix` (drift rows of observe) true, reading the namespace afresh for the
   * association ids, and tells what EKS holds afterwards.
   */
  async update(
    ctx: Context,
    request: IdentityRequest,
    roleArn: string,
    fix: ReadonlySet<string>,
  ): Promise<AssociationsObserved | undefined> {
    const cluster = podIdentityCluster(request);
    if (!cluster) return undefined;
    const plan = await this.plan(ctx, request, cluster, roleArn);
    const after: AssociationPlan = {
      ...plan,
      create: [],
      correct: [],
      remove: [],
      upToDate: [...plan.upToDate],
    };
    for (const wanted of plan.create) {
      if (fix.has(associationField(wanted.serviceAccount)))
        after.upToDate.push(await this.eks.create(ctx, cluster, wanted));
      else after.create.push(wanted);
    }
    for (const c of plan.correct) {
      if (fix.has(`${associationField(c.wanted.serviceAccount)}.roleArn`)) {
        await this.eks.setRole(ctx, cluster, c.associationId, roleArn);
        after.upToDate.push({ ...c.wanted, associationId: c.associationId });
      } else after.correct.push(c);
    }
    for (const r of plan.remove) {
      if (fix.has(associationField(r.serviceAccount))) await this.eks.delete(ctx, cluster, r.associationId);
      else after.remove.push(r);
    }
    const inPlace = [
      ...(request.associatedServiceAccounts ?? []),
      ...after.upToDate.map((a) => a.serviceAccount),
    ];
    return associationStates(cluster, after, new Set(inPlace));
  }

  /** Deletes the identity's own associations in its namespace (those its tags name), nothing else. */
  async delete(ctx: Context, request: IdentityRequest): Promise<void> {
    const cluster = podIdentityCluster(request);
    if (!cluster) return;
    for (const a of await this.read(ctx, request, cluster, () => true)) {
      if (sameOwner(ownerFromTags(a.tags), request.owner))
        await this.eks.delete(ctx, cluster, a.associationId);
    }
  }

  private async plan(
    ctx: Context,
    request: IdentityRequest,
    cluster: EksClusterRef,
    roleArn: string,
  ): Promise<AssociationPlan> {
    const desired = desiredAssociations(request, roleArn);
    const concerned = new Set([
      ...desired.map((d) => d.serviceAccount),
      ...(request.associatedServiceAccounts ?? []),
    ]);
    const found = await this.read(ctx, request, cluster, (sa) => concerned.has(sa));
    return planAssociations(request.owner, desired, found);
  }

  private async read(
    ctx: Context,
    request: IdentityRequest,
    cluster: EksClusterRef,
    concerns: (serviceAccount: string) => boolean,
  ): Promise<ObservedAssociation[]> {
    const listed = await this.eks.list(ctx, cluster, request.owner.namespace);
    const found: ObservedAssociation[] = [];
    for (const a of listed.filter((l) => concerns(l.serviceAccount))) {
      const described = await this.eks.describe(ctx, cluster, a.associationId);
      if (described) found.push(described);
    }
    return found;
  }
}
