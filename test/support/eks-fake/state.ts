/**
 * What the EKS fake holds: clusters and their Pod Identity associations, as EKS describes them
 * (`PodIdentityAssociation`), with the rules EKS keeps: one association per cluster, namespace
 * and ServiceAccount; ids `a-` and 17 lowercase letters or digits; ARNs
 * `arn:aws:eks:REGION:ACCOUNT:podidentityassociation/CLUSTER/ID`; times in epoch seconds.
 */
import { randomBytes } from 'node:crypto';

export interface EksCluster {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
}

export interface PodIdentityAssociation {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  associationArn: string;
  associationId: string;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  disableSessionTags: boolean;
  policy?: string;
  targetRoleArn?: string;
  externalId?: string;
  ownerArn?: string;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newAssociationId(): string {
  const bytes = randomBytes(17);
  return `a-${Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

export class EksState {
  readonly #clusters = new Map<string, EksCluster>();
  /** By cluster name, then association id, in creation order. */
  readonly #associations = new Map<string, Map<string, PodIdentityAssociation>>();
  /** clientRequestToken → association id, per cluster: a repeated create answers the first one. */
  readonly #createTokens = new Map<string, Map<string, { id: string; fingerprint: string }>>();

  constructor(clusters: readonly EksCluster[]) {
    for (const c of clusters) this.addCluster(c);
  }

  addCluster(cluster: EksCluster): void {
    this.#clusters.set(cluster.name, cluster);
    if (!this.#associations.has(cluster.name)) this.#associations.set(cluster.name, new Map());
    if (!this.#createTokens.has(cluster.name)) this.#createTokens.set(cluster.name, new Map());
  }

  cluster(name: string): EksCluster | undefined {
    return this.#clusters.get(name);
  }

  associations(clusterName: string): PodIdentityAssociation[] {
    return [...(this.#associations.get(clusterName)?.values() ?? [])];
  }

  association(clusterName: string, id: string): PodIdentityAssociation | undefined {
    return this.#associations.get(clusterName)?.get(id);
  }

  findBySubject(
    clusterName: string,
    namespace: string,
    serviceAccount: string,
  ): PodIdentityAssociation | undefined {
    return this.associations(clusterName).find(
      (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
    );
  }

  put(association: PodIdentityAssociation): void {
    this.#associations.get(association.clusterName)?.set(association.associationId, association);
  }

  remove(clusterName: string, id: string): PodIdentityAssociation | undefined {
    const found = this.association(clusterName, id);
    this.#associations.get(clusterName)?.delete(id);
    return found;
  }

  rememberToken(clusterName: string, token: string, id: string, fingerprint: string): void {
    this.#createTokens.get(clusterName)?.set(token, { id, fingerprint });
  }

  token(clusterName: string, token: string): { id: string; fingerprint: string } | undefined {
    return this.#createTokens.get(clusterName)?.get(token);
  }

  /** Empties every cluster's associations and tokens; the clusters stay. */
  clear(): void {
    for (const m of this.#associations.values()) m.clear();
    for (const m of this.#createTokens.values()) m.clear();
  }
}
