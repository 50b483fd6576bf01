/**
 * The EKS Pod Identity fake, driven by the real `@aws-sdk/client-eks`: what the SDK sends and how
 * it reads the answers (paths, bodies, error codes, timestamps) is what the provider will see.
 */
import {
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
  paginateListPodIdentityAssociations,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EksFake, eksClient, startEksFake } from '../support/eks-fake/index.js';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/keyless/keyless-shop-orders-api-1a2b3c4d`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/other`;

describe('EKS Pod Identity fake, through the real SDK', () => {
  let fake: EksFake;
  let eks: EKSClient;

  beforeAll(async () => {
    fake = await startEksFake({ clusters: [{ name: 'prod', region: 'us-east-1', accountId: ACCOUNT }] });
    eks = eksClient(fake);
  });
  afterEach(() => {
    expect(fake.internalErrors()).toEqual([]);
    fake.state.clear();
    fake.resetCounts();
    fake.allowAction('iam:PassRole');
    fake.allowAction('eks:CreatePodIdentityAssociation');
  });
  afterAll(async () => {
    eks.destroy();
    await fake.stop();
  });

  const create = (serviceAccount: string, extra: Record<string, unknown> = {}) =>
    eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount,
        roleArn: ROLE,
        tags: { 'keyless.dev/uid': 'u-1' },
        ...extra,
      }),
    );

  it('creates one association per cluster, namespace and ServiceAccount, and describes it as EKS does', async () => {
    const { association } = await create('orders-api');
    expect(association?.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(association?.associationArn).toBe(
      `arn:aws:eks:us-east-1:${ACCOUNT}:podidentityassociation/prod/${association?.associationId}`,
    );
    expect(association?.createdAt).toBeInstanceOf(Date);
    expect(association).toMatchObject({
      roleArn: ROLE,
      disableSessionTags: false,
      tags: { 'keyless.dev/uid': 'u-1' },
    });

    const again = create('orders-api');
    await expect(again).rejects.toMatchObject({
      name: 'ResourceInUseException',
      $metadata: { httpStatusCode: 409 },
    });
    await expect(again).rejects.toThrow(`Association already exists: ${association?.associationId}`);

    const described = await eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: 'prod',
        associationId: association?.associationId,
      }),
    );
    expect(described.association).toEqual(association);
  });

  it('answers a repeated clientRequestToken with the first association, and refuses it with other parameters', async () => {
    const first = await create('orders-api', { clientRequestToken: 'token-1' });
    const repeat = await create('orders-api', { clientRequestToken: 'token-1' });
    expect(repeat.association?.associationId).toBe(first.association?.associationId);
    await expect(
      create('orders-api', { clientRequestToken: 'token-1', roleArn: OTHER_ROLE }),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    expect(fake.state.associations('prod')).toHaveLength(1);
  });

  it('lists by namespace and ServiceAccount, a page at a time', async () => {
    for (const sa of ['a', 'b', 'c']) await create(sa);
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'prod',
        namespace: 'team-b',
        serviceAccount: 'a',
        roleArn: ROLE,
      }),
    );
    const bySa = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'prod', namespace: 'shop', serviceAccount: 'b' }),
    );
    expect(bySa.associations?.map((a) => [a.namespace, a.serviceAccount])).toEqual([['shop', 'b']]);
    expect(Object.keys(bySa.associations?.[0] ?? {}).sort()).toEqual(
      ['associationArn', 'associationId', 'clusterName', 'namespace', 'serviceAccount'].sort(),
    );

    const pages: string[][] = [];
    for await (const page of paginateListPodIdentityAssociations(
      { client: eks, pageSize: 2 },
      { clusterName: 'prod', namespace: 'shop' },
    )) {
      pages.push((page.associations ?? []).map((a) => a.serviceAccount ?? ''));
    }
    expect(pages).toEqual([['a', 'b'], ['c']]);
    await expect(
      eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'prod', nextToken: 'bm9wZQ' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('updates the role, the session policy and the target role, and deletes', async () => {
    const { association } = await create('orders-api');
    const id = association?.associationId ?? '';
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }],
    });
    const updated = await eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'prod',
        associationId: id,
        roleArn: OTHER_ROLE,
        policy,
        targetRoleArn: `arn:aws:iam::210987654321:role/target`,
      }),
    );
    expect(updated.association).toMatchObject({
      roleArn: OTHER_ROLE,
      policy,
      targetRoleArn: 'arn:aws:iam::210987654321:role/target',
    });
    expect(updated.association?.externalId).toMatch(/^[0-9a-f-]{36}$/);

    const deleted = await eks.send(
      new DeletePodIdentityAssociationCommand({ clusterName: 'prod', associationId: id }),
    );
    expect(deleted.association?.associationId).toBe(id);
    await expect(
      eks.send(new DescribePodIdentityAssociationCommand({ clusterName: 'prod', associationId: id })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(
      eks.send(new DeletePodIdentityAssociationCommand({ clusterName: 'prod', associationId: id })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses what EKS refuses: no cluster, a malformed role, a denied action, a role it may not pass', async () => {
    await expect(
      eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'staging' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'No cluster found for name: staging.',
    });
    await expect(create('orders-api', { roleArn: 'arn:aws:iam::123:role/x' })).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(create('Orders_API')).rejects.toMatchObject({ name: 'InvalidParameterException' });

    fake.denyAction('iam:PassRole');
    await expect(create('orders-api')).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
      message: `User: arn:aws:iam::${ACCOUNT}:user/keyless is not authorized to perform: iam:PassRole on resource: ${ROLE}`,
    });
    fake.denyAction('eks:CreatePodIdentityAssociation');
    await expect(create('orders-api')).rejects.toThrow(
      /eks:CreatePodIdentityAssociation on resource: arn:aws:eks:us-east-1:123456789012:cluster\/prod/,
    );
    expect(fake.state.associations('prod')).toEqual([]);
  });

  it('throttles as asked, and the SDK retries a throttled call', async () => {
    fake.failNext(
      1,
      { status: 429, code: 'ThrottlingException', message: 'Rate exceeded' },
      'CreatePodIdentityAssociation',
    );
    await expect(create('orders-api')).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 429 },
    });

    const retrying = eksClient(fake, { maxAttempts: 3 });
    fake.failNext(1, { status: 429, code: 'ThrottlingException' }, 'CreatePodIdentityAssociation');
    const { association } = await retrying.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'prod',
        namespace: 'shop',
        serviceAccount: 'orders-api',
        roleArn: ROLE,
      }),
    );
    retrying.destroy();
    expect(association?.roleArn).toBe(ROLE);
    expect(fake.counts().CreatePodIdentityAssociation).toBe(3);
  });
});
