import type { EKSClient } from '@aws-sdk/client-eks';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError } from '../../runtime/errors.js';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { classifyAwsError, isResourceNotFound } from './errors.js';
import type { DesiredAssociation, EksClusterRef, ObservedAssociation } from './pod-identity.js';

export interface EksClientOptions {
  endpoint: string | undefined;
  credentials: AwsCredentialIdentityProvider | undefined;
  limiter: AccountLimiter;
  callTimeoutMs: number;
}

type EksModule = typeof import('@aws-sdk/client-eks');

/**
 * EKS Pod Identity association calls, and nothing else. The SDK is loaded on first use, so an
 * operator whose identities never ask for Pod Identity does not hold it in memory. One client per
 * cluster region; like every AWS call, behind the account's limiter and classified once.
 */
export class EksClient {
  private readonly call: CloudCalls['call'];
  private readonly optional: CloudCalls['optional'];
  private readonly clients = new Map<string, EKSClient>();
  private sdk: Promise<EksModule> | undefined;

  constructor(private readonly options: EksClientOptions) {
    ({ call: this.call, optional: this.optional } = cloudCalls(
      options.limiter,
      classifyAwsError,
      isResourceNotFound,
      options.callTimeoutMs,
    ));
  }

  private async client(cluster: EksClusterRef): Promise<{ eks: EKSClient; sdk: EksModule }> {
    this.sdk ??= import('@aws-sdk/client-eks');
    const sdk = await this.sdk;
    let eks = this.clients.get(cluster.region);
    if (!eks) {
      eks = new sdk.EKSClient({
        region: cluster.region,
        maxAttempts: 1,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
      this.clients.set(cluster.region, eks);
    }
    return { eks, sdk };
  }

  /** The associations of one namespace (ids and ServiceAccounts only, as EKS lists them). */
  async list(
    ctx: Context,
    cluster: EksClusterRef,
    namespace: string,
  ): Promise<{ associationId: string; serviceAccount: string }[]> {
    const { eks, sdk } = await this.client(cluster);
    const found: { associationId: string; serviceAccount: string }[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.call(ctx, 'ListPodIdentityAssociations', (abortSignal) =>
        eks.send(
          new sdk.ListPodIdentityAssociationsCommand({
            clusterName: cluster.name,
            namespace,
            maxResults: 100,
            ...(token ? { nextToken: token } : {}),
          }),
          { abortSignal },
        ),
      ).catch((err: unknown) => {
        throw clusterNotFound(err, cluster);
      });
      for (const a of page.associations ?? []) {
        if (a.associationId && a.serviceAccount) {
          found.push({ associationId: a.associationId, serviceAccount: a.serviceAccount });
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  }

  /** One association in full; undefined when it is gone. */
  async describe(
    ctx: Context,
    cluster: EksClusterRef,
    associationId: string,
  ): Promise<ObservedAssociation | undefined> {
    const { eks, sdk } = await this.client(cluster);
    const out = await this.optional(ctx, 'DescribePodIdentityAssociation', (abortSignal) =>
      eks.send(new sdk.DescribePodIdentityAssociationCommand({ clusterName: cluster.name, associationId }), {
        abortSignal,
      }),
    );
    return out?.association ? observedOf(out.association) : undefined;
  }

  async create(
    ctx: Context,
    cluster: EksClusterRef,
    wanted: DesiredAssociation,
  ): Promise<ObservedAssociation> {
    const { eks, sdk } = await this.client(cluster);
    const out = await this.call(ctx, 'CreatePodIdentityAssociation', (abortSignal) =>
      eks.send(
        new sdk.CreatePodIdentityAssociationCommand({
          clusterName: cluster.name,
          namespace: wanted.namespace,
          serviceAccount: wanted.serviceAccount,
          roleArn: wanted.roleArn,
          tags: wanted.tags,
        }),
        { abortSignal },
      ),
    );
    if (!out.association) throw new Error('CreatePodIdentityAssociation answered without the association');
    return observedOf(out.association);
  }

  async setRole(ctx: Context, cluster: EksClusterRef, associationId: string, roleArn: string): Promise<void> {
    const { eks, sdk } = await this.client(cluster);
    await this.call(ctx, 'UpdatePodIdentityAssociation', (abortSignal) =>
      eks.send(
        new sdk.UpdatePodIdentityAssociationCommand({ clusterName: cluster.name, associationId, roleArn }),
        {
          abortSignal,
        },
      ),
    );
  }

  /** Deletes one association; one already gone is fine. */
  async delete(ctx: Context, cluster: EksClusterRef, associationId: string): Promise<void> {
    const { eks, sdk } = await this.client(cluster);
    await this.optional(ctx, 'DeletePodIdentityAssociation', (abortSignal) =>
      eks.send(new sdk.DeletePodIdentityAssociationCommand({ clusterName: cluster.name, associationId }), {
        abortSignal,
      }),
    );
  }
}

function observedOf(a: {
  associationId?: string | undefined;
  namespace?: string | undefined;
  serviceAccount?: string | undefined;
  roleArn?: string | undefined;
  tags?: Record<string, string> | undefined;
}): ObservedAssociation {
  return {
    associationId: a.associationId ?? '',
    namespace: a.namespace ?? '',
    serviceAccount: a.serviceAccount ?? '',
    roleArn: a.roleArn ?? '',
    tags: a.tags ?? {},
  };
}

/** A list refused because the cluster does not exist says which cluster and where it is set. */
function clusterNotFound(err: unknown, cluster: EksClusterRef): unknown {
  if (!(err instanceof ClassifiedError) || !isResourceNotFound(err.cause)) return err;
  return new ClassifiedError(
    `EKS cluster ${cluster.name} does not exist in ${cluster.region} (CloudAccount spec.aws.eksCluster): ${err.message}`,
    { kind: 'terminal', reason: Reason.InvalidAccount, cause: err },
  );
}
