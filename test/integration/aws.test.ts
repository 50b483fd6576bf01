import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListOpenIDConnectProvidersCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import { openWatch } from '../../src/kube-api/watch.js';
import { AWS_ACCOUNT_NAME, awsAccount, describeWithAws, motoRoleName } from '../support/aws-harness.js';
import { awsQueryError, startFaultProxy } from '../support/fault-proxy/index.js';
import {
  conditionOf,
  eventsIn,
  identityBinding,
  waitForCondition,
  withAdoption,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';
import { lastAccessedShim } from '../support/last-accessed-shim.js';
import { awsClientConfig, MOTO_ACCOUNT_ID } from '../support/moto/index.js';

const BUCKET = 'arn:aws:s3:::shop-invoices';

describeWithAws('the AWS provider on moto', (world) => {
  const iam = () => new IAMClient(awsClientConfig(world.moto().endpoint));
  const account = (): Manifest => ({
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name: AWS_ACCOUNT_NAME },
  });
  const nameOf = (identity: string) => motoRoleName(identity, world.controlPlane().issuerUrl);
  const role = async (identity: string) =>
    (
      await iam()
        .send(new GetRoleCommand({ RoleName: nameOf(identity) }))
        .catch(() => undefined)
    )?.Role;

  it('checks the credentials and creates the cluster’s OIDC provider', async () => {
    const ready = await waitForCondition(world.admin(), account(), 'Ready', { status: 'True' });
    expect(ready.status).toMatchObject({ callerIdentity: expect.stringContaining(MOTO_ACCOUNT_ID) });
    const providers = await iam().send(new ListOpenIDConnectProvidersCommand({}));
    const issuerHost = world.controlPlane().issuerUrl.replace('https://', '');
    expect(providers.OpenIDConnectProviderList?.map((p) => p.Arn)).toContain(
      `arn:aws:iam::${MOTO_ACCOUNT_ID}:oidc-provider/${issuerHost}`,
    );
  });

  it('refuses an account whose credentials are for another account, or whose OIDC provider is missing', async () => {
    const wrongAccount = awsAccount(world.proxy().endpoint, world.controlPlane().issuerUrl, '1h');
    wrongAccount.metadata = { name: 'aws-wrong-account' };
    (wrongAccount.spec as { aws: { accountId: string } }).aws.accountId = '999999999999';
    await apply(world.admin(), wrongAccount);
    const mismatch = await waitForCondition(world.admin(), wrongAccount, 'Ready', {
      status: 'False',
      reason: 'AccountMismatch',
    });
    expect(conditionOf(mismatch, 'Ready')?.message).toContain('not spec.aws.accountId 999999999999');

    const noProvider = awsAccount(world.proxy().endpoint, 'https://issuer.nowhere.example/id/1', '1h');
    noProvider.metadata = { name: 'aws-no-oidc' };
    (noProvider.spec as { aws: { oidcProvider: { manage: boolean } } }).aws.oidcProvider.manage = false;
    await apply(world.admin(), noProvider);
    const missing = await waitForCondition(world.admin(), noProvider, 'Ready', {
      status: 'False',
      reason: 'OIDCProviderNotFound',
    });
    expect(conditionOf(missing, 'Ready')?.message).toContain(
      'oidc-provider/issuer.nowhere.example/id/1 does not exist',
    );
  });

  it('creates a role only the ServiceAccount can assume, with the declared grants, and annotates the ServiceAccount', async () => {
    const identity = workloadIdentity('orders-api', AWS_ACCOUNT_NAME, {
      maxSessionDuration: '2h',
      tags: { team: 'shop' },
    });
    const binding = identityBinding('orders-read', 'orders-api', [{ resource: BUCKET, access: 'read' }]);
    await apply(world.admin(), identity);
    await apply(world.admin(), binding);
    const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

    const found = await role('orders-api');
    expect(wi.status?.principal?.roleArn).toBe(found?.Arn);
    expect(found?.Arn).toBe(`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/keyless/${nameOf('orders-api')}`);
    expect(found?.MaxSessionDuration).toBe(7200);
    const trust = JSON.parse(decodeURIComponent(found?.AssumeRolePolicyDocument ?? ''));
    const issuer = world.controlPlane().issuerUrl.replace('https://', '');
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      [`${issuer}:sub`]: 'system:serviceaccount:shop:orders-api',
      [`${issuer}:aud`]: 'sts.amazonaws.com',
    });
    expect(Object.fromEntries((found?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
      team: 'shop',
      'keyless.dev/cluster': 'it',
      'keyless.dev/namespace': 'shop',
      'keyless.dev/name': 'orders-api',
    });
    const policies = await iam().send(new ListRolePoliciesCommand({ RoleName: nameOf('orders-api') }));
    expect(policies.PolicyNames).toHaveLength(1);
    const sa = await world
      .admin()
      .request<Manifest>('GET', '/api/v1/namespaces/shop/serviceaccounts/orders-api');
    expect((sa.metadata.annotations as Record<string, string>)['eks.amazonaws.com/role-arn']).toBe(
      found?.Arn,
    );

    await apply(world.admin(), {
      ...identity,
      spec: { ...(identity.spec as object), maxSessionDuration: '3h' },
    });
    await waitFor(
      'MaxSessionDuration 3h',
      async () => (await role('orders-api'))?.MaxSessionDuration === 10_800,
    );
  });

  it('corrects out-of-band changes to trust, inline policy, tags and boundary (driftPolicy Correct)', async () => {
    const name = nameOf('orders-api');
    const policyName =
      (await iam().send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames?.[0] ?? '';
    const before = await role('orders-api');
    const policyBefore = (
      await iam().send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
    ).PolicyDocument;

    await iam().send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: name,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam().send(
      new PutRolePolicyCommand({
        RoleName: name,
        PolicyName: policyName,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'Grant0', Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );
    await iam().send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: 'team', Value: 'intruders' }] }));
    await iam().send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: name,
        PermissionsBoundary: `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/odd`,
      }),
    );

    await waitFor('the role corrected', async () => {
      const now = await role('orders-api');
      const policy = (await iam().send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName })))
        .PolicyDocument;
      return (
        now?.AssumeRolePolicyDocument === before?.AssumeRolePolicyDocument &&
        now?.PermissionsBoundary === undefined &&
        now?.Tags?.find((t) => t.Key === 'team')?.Value === 'shop' &&
        decodeURIComponent(policy ?? '') === decodeURIComponent(policyBefore ?? '')
      );
    });
    expect((await eventsIn(world.admin(), 'shop', 'DriftCorrected')).map((e) => e.note).join('\n')).toMatch(
      /trustPolicy/,
    );
  });

  it('reports out-of-band changes field by field under driftPolicy Report and leaves the role alone', async () => {
    const identity = workloadIdentity('reporter', AWS_ACCOUNT_NAME, {
      driftPolicy: 'Report',
      tags: { team: 'shop' },
    });
    await apply(world.admin(), identity);
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    const name = nameOf('reporter');
    await iam().send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: 'team', Value: 'intruders' }] }));
    await iam().send(
      new PutRolePermissionsBoundaryCommand({
        RoleName: name,
        PermissionsBoundary: `arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/odd`,
      }),
    );

    const drifted = await waitForCondition(world.admin(), identity, 'Drifted', { status: 'True' });
    expect(drifted.status?.drift).toEqual([
      { field: 'tags[team]', wanted: 'shop', found: 'intruders' },
      { field: 'permissionsBoundary', wanted: 'null', found: `"arn:aws:iam::${MOTO_ACCOUNT_ID}:policy/odd"` },
    ]);
    expect((await role('reporter'))?.Tags?.find((t) => t.Key === 'team')?.Value).toBe('intruders');
  });

  it('writes nothing under ObserveOnly, and reports what it finds', async () => {
    const identity = workloadIdentity('watcher', AWS_ACCOUNT_NAME, { managementPolicy: 'ObserveOnly' });
    world.proxy().resetCounts();
    await apply(world.admin(), identity);
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'False', reason: 'NotFoundInCloud' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const counts = world.proxy().counts();
    const writes = Object.keys(counts).filter((op) => !/^(Get|List)/.test(op));
    expect(writes).toEqual([]);
    expect(await role('watcher')).toBeUndefined();
  });

  it('never changes a role it does not own, and adopts it when asked', async () => {
    const name = nameOf('legacy');
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await iam().send(
      new CreateRoleCommand({
        RoleName: name,
        Path: '/keyless/',
        AssumeRolePolicyDocument: trust,
        Tags: [{ Key: 'owner', Value: 'ops' }],
      }),
    );
    const identity = workloadIdentity('legacy', AWS_ACCOUNT_NAME);
    await apply(world.admin(), identity);

    const refused = await waitForCondition(world.admin(), identity, 'Synced', {
      status: 'False',
      reason: 'NotOwned',
    });
    expect(conditionOf(refused, 'Synced')?.message).toContain('keyless.dev/adopt');
    expect((await role('legacy'))?.Tags).toEqual([{ Key: 'owner', Value: 'ops' }]);

    await apply(world.admin(), withAdoption(identity));
    await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    const adopted = await role('legacy');
    expect(adopted?.Tags?.find((t) => t.Key === 'keyless.dev/name')?.Value).toBe('legacy');
    expect(decodeURIComponent(adopted?.AssumeRolePolicyDocument ?? '')).toContain(
      'system:serviceaccount:shop:legacy',
    );
  });

  it('retains the role under deletionPolicy Retain, and otherwise deletes policies and role, leaving nothing behind', async () => {
    const kept = workloadIdentity('kept', AWS_ACCOUNT_NAME, { deletionPolicy: 'Retain' });
    const gone = workloadIdentity('gone', AWS_ACCOUNT_NAME);
    const goneRead = identityBinding('gone-read', 'gone', [{ resource: BUCKET, access: 'read' }]);
    for (const object of [kept, gone, goneRead]) await apply(world.admin(), object);
    await waitForCondition(world.admin(), kept, 'Ready', { status: 'True' });
    await waitForCondition(world.admin(), goneRead, 'Ready', { status: 'True' });

    for (const object of [kept, goneRead, gone]) await remove(world.admin(), object);
    for (const object of [kept, goneRead, gone]) {
      await waitFor(
        `${object.metadata.name} deleted`,
        async () => (await get(world.admin(), object)) === undefined,
      );
    }
    expect(await role('kept')).toBeDefined();
    const roles = (await iam().send(new ListRolesCommand({}))).Roles?.map((r) => r.RoleName);
    expect(roles).not.toContain(nameOf('gone'));
    await expect(iam().send(new ListRolePoliciesCommand({ RoleName: nameOf('gone') }))).rejects.toMatchObject(
      {
        name: 'NoSuchEntityException',
      },
    );
  });

  it('deletes a role in one call once its bindings are gone, and clears what others left on it first', async () => {
    // An account of its own, behind a proxy of its own, with a resync that never comes in the test.
    const proxy = await startFaultProxy({ target: world.moto().endpoint });
    lastAccessedShim(proxy).answer([]);
    try {
      const deleteAccount = { ...awsAccount(proxy.endpoint, world.controlPlane().issuerUrl, '1h') };
      deleteAccount.metadata = { name: 'aws-delete' };
      await apply(world.admin(), deleteAccount);
      await waitForCondition(world.admin(), deleteAccount, 'Ready', { status: 'True' });
      const tidy = workloadIdentity('tidy', 'aws-delete');
      const tidyRead = identityBinding('tidy-read', 'tidy', [{ resource: BUCKET, access: 'read' }]);
      const cluttered = workloadIdentity('cluttered', 'aws-delete');
      for (const object of [tidy, tidyRead, cluttered]) await apply(world.admin(), object);
      await waitForCondition(world.admin(), tidyRead, 'Ready', { status: 'True' });
      await waitForCondition(world.admin(), cluttered, 'Ready', { status: 'True' });
      // Another tool's inline policy and managed policy on the role: IAM refuses DeleteRole for them.
      const clutteredRole = nameOf('cluttered');
      await iam().send(
        new PutRolePolicyCommand({
          RoleName: clutteredRole,
          PolicyName: 'added-by-hand',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET }],
          }),
        }),
      );
      const managed = await iam().send(
        new CreatePolicyCommand({
          PolicyName: 'keyless-test-attached-by-hand',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }],
          }),
        }),
      );
      await iam().send(
        new AttachRolePolicyCommand({ RoleName: clutteredRole, PolicyArn: managed.Policy?.Arn ?? '' }),
      );

      proxy.resetCounts();
      for (const object of [tidy, tidyRead]) await remove(world.admin(), object);
      await waitFor('tidy deleted', async () => (await get(world.admin(), tidy)) === undefined);
      // Binding: DeleteRolePolicy. Identity: GetRole (whose role it is), DeleteRole.
      expect(proxy.counts()).toEqual({ DeleteRolePolicy: 1, GetRole: 1, DeleteRole: 1 });
      expect(await role('tidy')).toBeUndefined();

      proxy.resetCounts();
      await remove(world.admin(), cluttered);
      await waitFor('cluttered deleted', async () => (await get(world.admin(), cluttered)) === undefined);
      // DeleteRole refused (DeleteConflict), then the policies go, then the role.
      expect(proxy.counts()).toEqual({
        GetRole: 1,
        DeleteRole: 2,
        ListRolePolicies: 1,
        DeleteRolePolicy: 1,
        ListAttachedRolePolicies: 1,
        DetachRolePolicy: 1,
      });
      expect(await role('cluttered')).toBeUndefined();
    } finally {
      await proxy.stop();
    }
  });

  it('keeps an identity whose role IAM refuses to delete for something other than its policies (an instance profile holds it), says why, and deletes it once freed', async () => {
    const held = workloadIdentity('held', AWS_ACCOUNT_NAME);
    await apply(world.admin(), held);
    await waitForCondition(world.admin(), held, 'Ready', { status: 'True' });
    // An instance profile holding the role: DeleteRole is refused, and refused again once the
    // role's policies (none here) are cleared.
    const profile = { InstanceProfileName: 'keyless-test-holds-a-role' };
    await iam().send(new CreateInstanceProfileCommand(profile));
    await iam().send(new AddRoleToInstanceProfileCommand({ ...profile, RoleName: nameOf('held') }));
    try {
      await remove(world.admin(), held);
      const refused = await waitForCondition(world.admin(), held, 'Synced', {
        status: 'False',
        reason: 'Conflict',
      });
      expect(conditionOf(refused, 'Synced')?.message).toContain('must remove roles from instance profile');
      expect(await role('held')).toBeDefined();
      expect(await get(world.admin(), held)).toBeDefined();
    } finally {
      await iam().send(new RemoveRoleFromInstanceProfileCommand({ ...profile, RoleName: nameOf('held') }));
      await iam().send(new DeleteInstanceProfileCommand(profile));
    }
    await waitFor('held deleted', async () => (await get(world.admin(), held)) === undefined);
    expect(await role('held')).toBeUndefined();
  });

  it('rides out throttling and reports a terminal AWS error with its reason', async () => {
    world
      .proxy()
      .inject({ operation: 'CreateRole', times: 2, respond: awsQueryError('Throttling', 'Rate exceeded') });
    const throttled = workloadIdentity('throttled', AWS_ACCOUNT_NAME);
    await apply(world.admin(), throttled);
    await waitForCondition(world.admin(), throttled, 'Ready', { status: 'True' });

    world.proxy().inject({
      operation: 'CreateRole',
      times: 1,
      respond: awsQueryError('LimitExceeded', 'Cannot exceed quota for RolesPerAccount: 1000', 409),
    });
    const limited = workloadIdentity('limited', AWS_ACCOUNT_NAME);
    await apply(world.admin(), limited);
    const refused = await waitForCondition(world.admin(), limited, 'Synced', {
      status: 'False',
      reason: 'LimitExceeded',
    });
    expect(conditionOf(refused, 'Synced')?.message).toContain('RolesPerAccount');
  });

  it('refuses grants AWS would refuse, before calling AWS, naming the grant', async () => {
    await apply(world.admin(), workloadIdentity('picky', AWS_ACCOUNT_NAME));
    await waitForCondition(world.admin(), workloadIdentity('picky', AWS_ACCOUNT_NAME), 'Ready', {
      status: 'True',
    });
    world.proxy().resetCounts();
    const binding = identityBinding('picky-bad', 'picky', [
      { resource: BUCKET, access: 'read' },
      { resource: 'arn:aws:s3:bucket', actions: ['s3:GetObject'] },
    ]);
    await apply(world.admin(), binding);
    const refused = await waitForCondition(world.admin(), binding, 'Synced', {
      status: 'False',
      reason: 'InvalidGrant',
    });
    expect(conditionOf(refused, 'Synced')?.message).toContain(
      'grant 1 (arn:aws:s3:bucket): the resource is neither * nor a well-formed ARN',
    );
    expect(world.proxy().counts().PutRolePolicy ?? 0).toBe(0);
  });

  it('keeps a new identity and its binding quiet while their new account is first checked, and converges them once it is', async () => {
    // The account's first check is held 3 s; the identity and the binding are reconciled meanwhile.
    const proxy = await startFaultProxy({ target: world.moto().endpoint });
    const heldCheck = proxy.inject({ operation: 'GetCallerIdentity', times: 1, latencyMs: 3000 });
    const reasons = { identity: [] as string[], binding: [] as string[] };
    const watches = await Promise.all(
      (['WorkloadIdentity', 'IdentityBinding'] as const).map((kind) =>
        openWatch(
          world.controlPlane().kubeConfig(),
          `/apis/keyless.dev/v1alpha1/namespaces/shop/${kind === 'WorkloadIdentity' ? 'workloadidentities' : 'identitybindings'}`,
          { fieldSelector: `metadata.name=${kind === 'WorkloadIdentity' ? 'fresh' : 'fresh-read'}` },
          (_type, object) => {
            const ready = conditionOf(object as Parameters<typeof conditionOf>[0], 'Ready');
            reasons[kind === 'WorkloadIdentity' ? 'identity' : 'binding'].push(ready?.reason ?? 'none');
          },
          () => {},
        ),
      ),
    );
    try {
      const freshAccount = awsAccount(proxy.endpoint, world.controlPlane().issuerUrl, '1h', 'aws-fresh');
      const identity = workloadIdentity('fresh', 'aws-fresh');
      const binding = identityBinding('fresh-read', 'fresh', [{ resource: BUCKET, access: 'read' }]);
      for (const object of [freshAccount, identity, binding]) await apply(world.admin(), object);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

      await waitFor(
        'the watches to see both Ready',
        async () => reasons.identity.includes('Available') && reasons.binding.includes('Available'),
      );
      expect(heldCheck.applied()).toBe(1);
      // Each written version is a watch event: no AccountNotReady or IdentityNotReady was written.
      expect(reasons.identity[0]).toBe('none');
      expect(reasons.identity).not.toContain('AccountNotReady');
      expect(reasons.binding[0]).toBe('none');
      expect(reasons.binding).not.toContain('IdentityNotReady');
    } finally {
      for (const watch of watches) watch.abort();
      await proxy.stop();
    }
  });

  it('stays within its call budget: first converge and steady-state re-observation', async () => {
    // An account of its own, behind a proxy of its own, so only this identity and binding are counted.
    const proxy = await startFaultProxy({ target: world.moto().endpoint });
    lastAccessedShim(proxy).answer([]);
    try {
      const budgetAccount = { ...awsAccount(proxy.endpoint, world.controlPlane().issuerUrl, '3s') };
      budgetAccount.metadata = { name: 'aws-budget' };
      await apply(world.admin(), budgetAccount);
      await waitForCondition(world.admin(), budgetAccount, 'Ready', { status: 'True' });
      proxy.resetCounts();
      const identity = workloadIdentity('budget', 'aws-budget');
      const binding = identityBinding('budget-read', 'budget', [{ resource: BUCKET, access: 'read' }]);
      await apply(world.admin(), identity);
      await apply(world.admin(), binding);
      await waitForCondition(world.admin(), binding, 'Ready', { status: 'True' });

      // Identity: GetRole (absent), CreateRole; no usage review, the first is a day after the identity
      // was created (review.interval's default). Binding: GetRolePolicy (absent), ListRolePolicies
      // (the size check against the role's other inline policies), PutRolePolicy. The account's own
      // checks (GetCallerIdentity, GetOpenIDConnectProvider) run on their own resync.
      const { GetCallerIdentity: _c, GetOpenIDConnectProvider: _o, ...converge } = proxy.counts();
      expect(converge).toEqual({
        GetRole: 1,
        CreateRole: 1,
        GetRolePolicy: 1,
        ListRolePolicies: 1,
        PutRolePolicy: 1,
      });

      proxy.resetCounts();
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      const { GetCallerIdentity: _c2, GetOpenIDConnectProvider: _o2, ...steady } = proxy.counts();
      // Over 7 s with a 3 s (±10%) resync: two or three re-observations, one read each, no writes,
      // and no usage call: the first review is a day away.
      expect(Object.keys(steady).sort()).toEqual(['GetRole', 'GetRolePolicy']);
      for (const reads of Object.values(steady)) {
        expect(reads).toBeGreaterThanOrEqual(2);
        expect(reads).toBeLessThanOrEqual(3);
      }
    } finally {
      await proxy.stop();
    }
  });
});
