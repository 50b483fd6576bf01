/**
 * EKS Pod Identity end to end: the operator on the real API server, moto for IAM and the EKS fake
 * (behind the same proxy) for the associations moto has no API for.
 */
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import { AWS_ACCOUNT_NAME, describeWithAws, EKS_CLUSTER, motoRoleName } from '../support/aws-harness.js';
import {
  conditionOf,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, remove, waitFor } from '../support/kube-manifests.js';
import { awsClientConfig, MOTO_ACCOUNT_ID, MOTO_REGION } from '../support/moto/index.js';

type WithAssociations = Observed & {
  status?: Observed['status'] & {
    podIdentityAssociations?: {
      serviceAccount: string;
      associationId?: string;
      roleArn?: string;
      state: string;
      message?: string;
    }[];
  };
};

const OTHER_ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops/other`;

describeWithAws('EKS Pod Identity associations, on moto and the EKS fake', (world) => {
  const iam = () => new IAMClient(awsClientConfig(world.moto().endpoint));
  const roleArnOf = (identity: string) =>
    `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/keyless/${motoRoleName(identity, world.controlPlane().issuerUrl)}`;
  const associations = (namespace = 'shop') =>
    world
      .eks()
      .state.associations(EKS_CLUSTER)
      .filter((a) => a.namespace === namespace)
      .map((a) => ({ serviceAccount: a.serviceAccount, roleArn: a.roleArn }))
      .sort((a, b) => a.serviceAccount.localeCompare(b.serviceAccount));
  const podIdentity = (name: string, serviceAccounts: string[], spec: Record<string, unknown> = {}) =>
    workloadIdentity(name, AWS_ACCOUNT_NAME, {
      subjects: serviceAccounts.map((sa) => ({ serviceAccount: { name: sa, create: true } })),
      aws: { podIdentity: true },
      ...spec,
    });

  it('creates one association per ServiceAccount and narrows the trust to them, statement by statement', async () => {
    const identity = podIdentity('orders-pods', ['orders-api', 'orders-worker']);
    await apply(world.admin(), identity);
    const ready = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'True',
    })) as WithAssociations;
    const role = roleArnOf('orders-pods');
    expect(associations()).toEqual([
      { serviceAccount: 'orders-api', roleArn: role },
      { serviceAccount: 'orders-worker', roleArn: role },
    ]);
    expect(ready.status?.podIdentityAssociations?.map((a) => [a.serviceAccount, a.state, a.roleArn])).toEqual(
      [
        ['orders-api', 'Associated', role],
        ['orders-worker', 'Associated', role],
      ],
    );
    const held = world.eks().state.associations(EKS_CLUSTER)[0];
    expect(held?.tags).toMatchObject({
      'keyless.dev/cluster': 'it',
      'keyless.dev/namespace': 'shop',
      'keyless.dev/name': 'orders-pods',
    });

    const got = await iam().send(
      new GetRoleCommand({ RoleName: motoRoleName('orders-pods', world.controlPlane().issuerUrl) }),
    );
    const trust = JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? '{}')) as {
      Statement: { Sid: string; Principal: unknown; Action: unknown; Condition?: unknown }[];
    };
    const pods = trust.Statement.find((s) => s.Sid === 'EksPodIdentity');
    expect(pods).toEqual({
      Sid: 'EksPodIdentity',
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: {
        StringEquals: {
          'aws:SourceAccount': MOTO_ACCOUNT_ID,
          'aws:RequestTag/eks-cluster-arn': `arn:aws:eks:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:cluster/${EKS_CLUSTER}`,
          'aws:RequestTag/eks-cluster-name': EKS_CLUSTER,
          'aws:RequestTag/kubernetes-namespace': 'shop',
          'aws:RequestTag/kubernetes-service-account': ['orders-api', 'orders-worker'],
        },
      },
    });
    expect(trust.Statement.map((s) => s.Sid)).toEqual(['ServiceAccounts', 'EksPodIdentity']);

    // Steady state: a resync lists the namespace once and reads each association, and writes nothing.
    world.proxy().resetCounts();
    // A resync reads the role, then lists: waiting on the list sees each resync whole.
    const list = `GET /clusters/${EKS_CLUSTER}/pod-identity-associations`;
    await waitFor('two resyncs', async () => (world.proxy().counts()[list] ?? 0) >= 2);
    const counts = world.proxy().counts();
    const eksWrites = Object.keys(counts).filter((op) => /^(POST|DELETE) \/clusters\//.test(op));
    expect(eksWrites).toEqual([]);
    expect(counts.GetRole).toBeGreaterThanOrEqual(2);
    expect(world.eks().counts().CreatePodIdentityAssociation).toBe(2);
  });

  it('puts the role back on an association changed out of band, and removes the one of a ServiceAccount dropped from the subjects', async () => {
    const role = roleArnOf('orders-pods');
    const [api] = world
      .eks()
      .state.associations(EKS_CLUSTER)
      .filter((a) => a.serviceAccount === 'orders-api');
    if (!api) throw new Error('no association for orders-api');
    world.eks().state.put({ ...api, roleArn: OTHER_ROLE });
    await waitFor(
      'the association corrected',
      async () =>
        associations().find((a) => a.serviceAccount === 'orders-api')?.roleArn === role || undefined,
    );

    await apply(world.admin(), podIdentity('orders-pods', ['orders-api']));
    await waitFor(
      'the dropped ServiceAccount’s association deleted',
      async () => associations().length === 1 || undefined,
    );
    expect(associations()).toEqual([{ serviceAccount: 'orders-api', roleArn: role }]);
    const identity = await waitForCondition(
      world.admin(),
      podIdentity('orders-pods', ['orders-api']),
      'Ready',
      {
        status: 'True',
      },
    );
    expect(
      (identity as WithAssociations).status?.podIdentityAssociations?.map((a) => a.serviceAccount),
    ).toEqual(['orders-api']);
  });

  it('reports an association it does not own as a conflict, never touches it, and converges the other ServiceAccount', async () => {
    const eks = world.eks();
    const foreignId = 'a-foreign0000000000';
    eks.state.put({
      clusterName: EKS_CLUSTER,
      namespace: 'shop',
      serviceAccount: 'billing-api',
      roleArn: OTHER_ROLE,
      associationArn: `arn:aws:eks:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:podidentityassociation/${EKS_CLUSTER}/${foreignId}`,
      associationId: foreignId,
      tags: { team: 'billing' },
      createdAt: 0,
      modifiedAt: 0,
      disableSessionTags: false,
    });
    const identity = podIdentity('billing-pods', ['billing-api', 'billing-worker']);
    await apply(world.admin(), identity);
    const stalled = (await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'False',
      reason: 'AssociationConflict',
    })) as WithAssociations;
    expect(conditionOf(stalled, 'Ready')?.message).toBe(
      `EKS cluster ${EKS_CLUSTER} already has Pod Identity association ${foreignId} for ServiceAccount billing-api (role ${OTHER_ROLE}), held by nobody (no Keyless ownership tags); EKS allows one per ServiceAccount, so Keyless leaves it alone until it is deleted`,
    );
    expect(associations().filter((a) => a.serviceAccount.startsWith('billing'))).toEqual([
      { serviceAccount: 'billing-api', roleArn: OTHER_ROLE },
      { serviceAccount: 'billing-worker', roleArn: roleArnOf('billing-pods') },
    ]);

    // Once the other association is gone, Keyless makes its own.
    eks.state.remove(EKS_CLUSTER, foreignId);
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    expect(associations().find((a) => a.serviceAccount === 'billing-api')?.roleArn).toBe(
      roleArnOf('billing-pods'),
    );
  });

  it('deletes its own associations with the role under Delete, and keeps them under Retain', async () => {
    const retained = podIdentity('billing-pods', ['billing-api', 'billing-worker'], {
      deletionPolicy: 'Retain',
    });
    await apply(world.admin(), retained);
    await waitFor('deletionPolicy Retain applied', async () => {
      const object = await get<Observed>(world.admin(), retained);
      return (object?.status?.observedGeneration ?? 0) >= 2 || undefined;
    });
    await remove(world.admin(), retained);
    await waitFor('billing-pods gone', async () => (await get(world.admin(), retained)) === undefined);
    expect(associations().filter((a) => a.serviceAccount.startsWith('billing')).length).toBe(2);

    const deleted = podIdentity('orders-pods', ['orders-api']);
    await remove(world.admin(), deleted);
    await waitFor('orders-pods gone', async () => (await get(world.admin(), deleted)) === undefined);
    expect(associations().filter((a) => a.serviceAccount.startsWith('orders'))).toEqual([]);
    expect(associations().filter((a) => a.serviceAccount.startsWith('billing')).length).toBe(2);
    expect(world.eks().internalErrors()).toEqual([]);
  });
});
