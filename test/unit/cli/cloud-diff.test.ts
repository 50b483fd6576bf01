import { describe, expect, it } from 'vitest';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../../src/api/index.js';
import { bindingDiff, identityDiff } from '../../../src/cli/plan/cloud-diff.js';
import { account, binding, condition, identity, ready, T0 } from '../views/fixtures.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** Conditions of generation 1: the spec is in the cloud (Drifted's generation says so). */
const settled = ready.map((c) => ({ ...c, observedGeneration: 1 }));
const ROLE_ARN = 'arn:aws:iam::123456789012:role/keyless/keyless-shop-orders-api-0a1b2c3d';

/** An identity Keyless has not created yet: no status at all. */
const fresh = (spec: Partial<WorkloadIdentity['spec']> = {}) => {
  const wi = identity('orders-api', 'shop', undefined, spec);
  delete wi.status;
  return wi;
};
const inCloud = (spec: Partial<WorkloadIdentity['spec']> = {}, drift: WorkloadIdentity['status'] = {}) =>
  identity(
    'orders-api',
    'shop',
    {
      conditions: settled,
      observedGeneration: 1,
      principal: { id: ROLE_ARN, roleArn: ROLE_ARN },
      externalName: 'keyless-shop-orders-api-0a1b2c3d',
      ...drift,
    },
    spec,
  );

function gcpAccount(): CloudAccount {
  return account('gcp-prod', {
    spec: {
      provider: 'gcp',
      gcp: { projectId: 'shop-prod', projectNumber: '4815', workloadIdentityPool: 'shop-prod.svc.id.goog' },
      credentials: { source: 'Ambient' },
    },
  } as Partial<CloudAccount>);
}

function azureAccount(): CloudAccount {
  return account('azure-prod', {
    spec: {
      provider: 'azure',
      azure: {
        subscriptionId: '00000000-0000-0000-0000-000000000001',
        tenantId: '00000000-0000-0000-0000-0000000000aa',
        resourceGroup: 'keyless-identities',
        location: 'westeurope',
        issuerUrl: 'https://issuer.example/aks/',
      },
      credentials: { source: 'Ambient' },
    },
  } as Partial<CloudAccount>);
}

const at = (document: unknown, path: string[]): unknown =>
  path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], document);

describe('diff of a WorkloadIdentity', () => {
  it('plans the IAM role of a new identity: its name, trust for the ServiceAccount, tags and the annotation', () => {
    const result = identityDiff({
      identity: fresh({ tags: { team: 'shop' } }),
      account: account('aws-prod'),
      clusterName: 'prod-eu',
    });
    expect(result).toMatchObject({ verdict: 'create', differs: true });
    expect(result.headline).toMatch(
      /^Keyless would create IAM role keyless-shop-orders-api-[0-9a-f]{8} in AWS account 123456789012\.$/,
    );
    const role = at(result.planned?.document, ['role']) as Record<string, unknown>;
    expect(role).toMatchObject({
      path: '/keyless/',
      maxSessionDuration: 3600,
      tags: {
        team: 'shop',
        'keyless.dev/cluster': 'prod-eu',
        'keyless.dev/namespace': 'shop',
        'keyless.dev/name': 'orders-api',
      },
    });
    expect(role.assumeRolePolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ServiceAccounts',
          Effect: 'Allow',
          Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.example' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: {
              'oidc.example:sub': 'system:serviceaccount:shop:orders-api',
              'oidc.example:aud': 'sts.amazonaws.com',
            },
          },
        },
      ],
    });
    expect(at(result.planned?.document, ['serviceAccounts'])).toEqual([
      { name: 'orders-api', annotations: { 'eks.amazonaws.com/role-arn': role.arn } },
    ]);
    expect(result.notes).toEqual([]);
  });

  it('masks the hashes of an unknown cluster name, and says how to see them', () => {
    const result = identityDiff({ identity: fresh(), account: account('aws-prod'), clusterName: undefined });
    const text = JSON.stringify(result.planned?.document);
    expect(at(result.planned?.document, ['role', 'name'])).toBe('keyless-shop-orders-api-<hash>');
    expect(at(result.planned?.document, ['role', 'tags', 'keyless.dev/cluster'])).toBe(
      "<the operator's --cluster-name>",
    );
    expect(text).not.toContain('keyless-unknown-cluster');
    expect(result.headline).toBe(
      'Keyless would create IAM role keyless-shop-orders-api-<hash> in AWS account 123456789012.',
    );
    expect(result.notes.join(' ')).toContain('--cluster-name');
  });

  it('plans a Google Cloud service account trusted by the pool member', () => {
    const result = identityDiff({ identity: fresh(), account: gcpAccount(), clusterName: 'prod-eu' });
    expect(result.verdict).toBe('create');
    const email = at(result.planned?.document, ['serviceAccount', 'email']) as string;
    expect(email).toMatch(/^kl-shop-orders-api-[0-9a-f]{8}@shop-prod\.iam\.gserviceaccount\.com$/);
    expect(at(result.planned?.document, ['iamPolicy'])).toEqual([
      {
        role: 'roles/iam.workloadIdentityUser',
        members: ['serviceAccount:shop-prod.svc.id.goog[shop/orders-api]'],
      },
    ]);
    expect(at(result.planned?.document, ['serviceAccounts'])).toEqual([
      { name: 'orders-api', annotations: { 'iam.gke.io/gcp-service-account': email } },
    ]);
  });

  it('plans an Azure managed identity with one federated credential per ServiceAccount', () => {
    const result = identityDiff({ identity: fresh(), account: azureAccount(), clusterName: 'prod-eu' });
    expect(at(result.planned?.document, ['managedIdentity'])).toMatchObject({
      resourceGroup: 'keyless-identities',
      location: 'westeurope',
      tags: { 'keyless.dev-cluster': 'prod-eu', 'keyless.dev-namespace': 'shop' },
    });
    expect(at(result.planned?.document, ['federatedIdentityCredentials'])).toEqual([
      expect.objectContaining({
        issuer: 'https://issuer.example/aks/',
        subject: 'system:serviceaccount:shop:orders-api',
        audiences: ['api://AzureADTokenExchange'],
      }),
    ]);
  });

  it('refuses what the cloud would refuse, and a namespace the account does not allow', () => {
    expect(
      identityDiff({
        identity: fresh({ maxSessionDuration: '13h' }),
        account: account('aws-prod'),
        clusterName: 'c',
      }),
    ).toMatchObject({
      verdict: 'refused',
      differs: true,
      headline: expect.stringContaining('maxSessionDuration 13h is outside what AWS allows'),
    });
    const strict = account('aws-prod');
    strict.spec.guardrails = { allowedNamespaces: ['team-*'] };
    expect(identityDiff({ identity: fresh(), account: strict, clusterName: 'c' })).toMatchObject({
      verdict: 'refused',
      headline: expect.stringContaining('does not allow namespace shop'),
    });
  });

  it('shows drift, which Keyless corrects or only reports by the drift policy', () => {
    const drift = [{ field: 'tags[team]', wanted: 'shop', found: 'ops' }];
    const reported = identityDiff({
      identity: inCloud({ driftPolicy: 'Report' }, { drift }),
      account: account('aws-prod'),
      clusterName: 'c',
    });
    expect(reported).toMatchObject({ verdict: 'report', differs: true, drift });
    expect(reported.headline).toContain('driftPolicy Report, so Keyless only reports it');
    const corrected = identityDiff({
      identity: inCloud({}, { drift }),
      account: account('aws-prod'),
      clusterName: 'c',
    });
    expect(corrected).toMatchObject({ verdict: 'correct', differs: true });
    expect(corrected.headline).toContain('Keyless would put it back');
  });

  it("shows a binding's drift by its identity's drift policy", () => {
    const drift = [{ field: 'policy.Statement[0].Action', wanted: '["s3:GetObject"]', found: '["s3:*"]' }];
    const drifted = binding('orders-read', 'orders-api', 'shop', {
      conditions: settled,
      observedGeneration: 1,
      drift,
      grants: [],
    });
    expect(
      bindingDiff({
        binding: drifted,
        identity: inCloud({ driftPolicy: 'Report' }),
        account: account('aws-prod'),
        siblings: [],
        clusterName: 'c',
        now: NOW,
      }),
    ).toMatchObject({ verdict: 'report', differs: true, drift });
  });

  it('finds nothing to change for an identity in the cloud as declared', () => {
    expect(
      identityDiff({ identity: inCloud(), account: account('aws-prod'), clusterName: 'c' }),
    ).toMatchObject({
      verdict: 'none',
      differs: false,
    });
  });

  it('plans the new generation of a changed spec', () => {
    const changed = inCloud({ maxSessionDuration: '2h' });
    changed.metadata.generation = 2;
    const result = identityDiff({ identity: changed, account: account('aws-prod'), clusterName: 'c' });
    expect(result).toMatchObject({ verdict: 'update', differs: true });
    expect(at(result.planned?.document, ['role', 'maxSessionDuration'])).toBe(7200);
  });

  it('on delete, deletes or leaves the identity by its policies', () => {
    const deleting = (spec: Partial<WorkloadIdentity['spec']>) => {
      const wi = inCloud(spec);
      wi.metadata.deletionTimestamp = T0;
      return wi;
    };
    expect(
      identityDiff({ identity: deleting({}), account: account('aws-prod'), clusterName: 'c' }),
    ).toMatchObject({ verdict: 'delete', differs: true });
    expect(
      identityDiff({
        identity: deleting({ deletionPolicy: 'Retain' }),
        account: account('aws-prod'),
        clusterName: 'c',
      }),
    ).toMatchObject({ verdict: 'retain', differs: false });
  });

  it('under ObserveOnly changes nothing, and says what it found', () => {
    const missing = inCloud(
      { managementPolicy: 'ObserveOnly' },
      {
        conditions: [
          condition('Ready', 'False', 'NotFoundInCloud', 'keyless-shop-orders-api does not exist.'),
        ],
      },
    );
    expect(identityDiff({ identity: missing, account: account('aws-prod'), clusterName: 'c' })).toMatchObject(
      {
        verdict: 'observe',
        differs: true,
        headline: expect.stringContaining('it found nothing there'),
      },
    );
  });

  it('says why a stalled identity will not get there', () => {
    const stalled = fresh();
    stalled.status = {
      conditions: [
        condition('Ready', 'False', 'NotOwned', 'x belongs to someone else.'),
        condition('Synced', 'False', 'NotOwned', 'x belongs to someone else.'),
      ],
      observedGeneration: 1,
    };
    const result = identityDiff({ identity: stalled, account: account('aws-prod'), clusterName: 'c' });
    expect(result.verdict).toBe('create');
    expect(result.notes[0]).toBe(
      'It is Stalled (NotOwned): x belongs to someone else. Keyless will not get there until that is fixed.',
    );
  });
});

describe('diff of an IdentityBinding', () => {
  const withGrants = (status: IdentityBinding['status'], spec: Partial<IdentityBinding['spec']> = {}) =>
    binding('orders-read', 'orders-api', 'shop', status, spec);

  it("plans a new binding's inline policy on its identity's role, bounded in time where it is temporary", () => {
    const fresh = withGrants(undefined, { expiresAt: '2026-03-01T18:00:00Z' });
    const result = bindingDiff({
      binding: fresh,
      identity: inCloud(),
      account: account('aws-prod'),
      siblings: [],
      clusterName: 'c',
      now: NOW,
    });
    expect(result).toMatchObject({ verdict: 'create', differs: true });
    expect(at(result.planned?.document, ['inlinePolicy', 'role'])).toBe('keyless-shop-orders-api-0a1b2c3d');
    expect(at(result.planned?.document, ['inlinePolicy', 'document'])).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Grant0',
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::shop-invoices', 'arn:aws:s3:::shop-invoices/*'],
          Condition: { DateLessThan: { 'aws:CurrentTime': '2026-03-01T18:00:00Z' } },
        },
      ],
    });
    expect(result.grants).toEqual([
      {
        resource: 'arn:aws:s3:::shop-invoices',
        planned: 's3:GetBucketLocation,s3:GetObject,s3:GetObjectVersion,s3:ListBucket',
      },
    ]);
  });

  it('compares what status says is applied with a changed spec', () => {
    const changed = withGrants(
      {
        conditions: ready,
        observedGeneration: 1,
        grants: [
          {
            resource: 'arn:aws:s3:::shop-invoices',
            summary: 's3:GetBucketLocation,s3:GetObject,s3:GetObjectVersion,s3:ListBucket',
          },
        ],
      },
      { grants: [{ resource: 'arn:aws:s3:::shop-invoices', access: 'write' }] },
    );
    changed.metadata.generation = 2;
    const result = bindingDiff({
      binding: changed,
      identity: inCloud(),
      account: account('aws-prod'),
      siblings: [],
      clusterName: 'c',
      now: NOW,
    });
    expect(result.verdict).toBe('update');
    expect(result.grants?.[0]).toMatchObject({
      now: 's3:GetBucketLocation,s3:GetObject,s3:GetObjectVersion,s3:ListBucket',
      planned: expect.stringContaining('s3:PutObject'),
    });
  });

  it('changes nothing for grants the guardrails refuse, naming each grant and rule', () => {
    const refused = withGrants(undefined, {
      grants: [{ resource: 'arn:aws:iam::123456789012:role/deployer', actions: ['iam:PassRole'] }],
    });
    const open = account('aws-prod');
    open.spec.guardrails = {};
    const result = bindingDiff({
      binding: refused,
      identity: inCloud(),
      account: open,
      siblings: [],
      clusterName: 'c',
      now: NOW,
    });
    expect(result).toMatchObject({ verdict: 'refused', differs: true });
    expect(result.planned).toBeUndefined();
    expect(result.headline).toContain('(EscalationRefused)');
    expect(result.refusals).toEqual([expect.stringContaining('iam:PassRole is refused by default')]);
  });

  it('judges the lifetime from creation against maxGrantDuration, as the operator does', () => {
    const limited = account('aws-prod');
    limited.spec.guardrails = { maxGrantDuration: '8h' };
    const long = withGrants(undefined, { expiresAt: '2026-03-01T19:00:00Z' });
    expect(
      bindingDiff({
        binding: long,
        identity: inCloud(),
        account: limited,
        siblings: [],
        clusterName: 'c',
        now: NOW,
      }).refusals,
    ).toEqual(["grants last longer than the account's maxGrantDuration 8h"]);
    const short = withGrants(undefined, { expiresAt: '2026-03-01T17:00:00Z' });
    expect(
      bindingDiff({
        binding: short,
        identity: inCloud(),
        account: limited,
        siblings: [],
        clusterName: 'c',
        now: NOW,
      }).verdict,
    ).toBe('create');
  });

  it('removes ended grants, and finds nothing once they are gone', () => {
    const ended = (grants: { resource: string; summary: string }[]) =>
      withGrants({ conditions: ready, observedGeneration: 1, grants }, { expiresAt: '2026-03-01T11:00:00Z' });
    expect(
      bindingDiff({
        binding: ended([{ resource: 'r', summary: 's' }]),
        identity: inCloud(),
        account: account('aws-prod'),
        siblings: [],
        clusterName: 'c',
        now: NOW,
      }),
    ).toMatchObject({ verdict: 'remove', differs: true });
    expect(
      bindingDiff({
        binding: ended([]),
        identity: inCloud(),
        account: account('aws-prod'),
        siblings: [],
        clusterName: 'c',
        now: NOW,
      }),
    ).toMatchObject({ verdict: 'none', differs: false });
  });

  it("plans against the identity's future role while the identity is not in the cloud yet", () => {
    const result = bindingDiff({
      binding: withGrants(undefined),
      identity: fresh(),
      account: account('aws-prod'),
      siblings: [],
      clusterName: undefined,
      now: NOW,
    });
    expect(at(result.planned?.document, ['inlinePolicy', 'role'])).toBe('keyless-shop-orders-api-<hash>');
    expect(at(result.planned?.document, ['inlinePolicy', 'name'])).toBe('keyless-shop-orders-read-<hash>');
    expect(result.notes[0]).toContain('waits for wi/orders-api');
  });

  it('on Google Cloud, keeps a member a sibling binding still needs and removes one nobody does', () => {
    const gcpIdentity = inCloud({ accountRef: { name: 'gcp-prod' } });
    gcpIdentity.status = {
      ...gcpIdentity.status,
      principal: {
        id: 'sa@shop-prod.iam.gserviceaccount.com',
        email: 'sa@shop-prod.iam.gserviceaccount.com',
      },
      externalName: 'sa@shop-prod.iam.gserviceaccount.com',
    };
    const project = '//cloudresourcemanager.googleapis.com/projects/shop-prod';
    const changed = withGrants(
      {
        conditions: ready,
        observedGeneration: 1,
        grants: [
          { resource: project, summary: 'roles/viewer on projects/shop-prod' },
          {
            resource: '//storage.googleapis.com/projects/_/buckets/logs',
            summary:
              'roles/storage.objectViewer on projects/shop-prod if resource.name == "projects/_/buckets/logs" || resource.name.startsWith("projects/_/buckets/logs/")',
          },
        ],
      },
      { grants: [{ resource: '//storage.googleapis.com/projects/_/buckets/shop', access: 'read' }] },
    );
    changed.metadata.generation = 2;
    const sibling = binding('viewer', 'orders-api', 'shop', undefined, {
      grants: [{ resource: project, access: 'read' }],
    });
    const result = bindingDiff({
      binding: changed,
      identity: gcpIdentity,
      account: gcpAccount(),
      siblings: [sibling],
      clusterName: 'c',
      now: NOW,
    });
    expect(result.verdict).toBe('update');
    expect(at(result.planned?.document, ['member'])).toBe(
      'serviceAccount:sa@shop-prod.iam.gserviceaccount.com',
    );
    expect(at(result.planned?.document, ['add'])).toEqual([
      expect.objectContaining({
        policy: 'projects/shop-prod',
        role: 'roles/storage.objectViewer',
        condition: expect.stringContaining('projects/_/buckets/shop'),
      }),
    ]);
    expect(at(result.planned?.document, ['remove'])).toEqual([
      expect.objectContaining({
        role: 'roles/storage.objectViewer',
        condition: expect.stringContaining('buckets/logs'),
      }),
    ]);
  });

  it('on Azure, plans one role assignment per grant at the resource', () => {
    const azureIdentity = inCloud({ accountRef: { name: 'azure-prod' } });
    azureIdentity.status = {
      ...azureIdentity.status,
      principal: { id: 'client', clientId: 'client', principalId: 'p-123' },
      externalName: 'keyless-shop-orders-api',
    };
    const vault =
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/shop/providers/Microsoft.KeyVault/vaults/shop-secrets';
    const result = bindingDiff({
      binding: withGrants(undefined, { grants: [{ resource: vault, access: 'read' }] }),
      identity: azureIdentity,
      account: azureAccount(),
      siblings: [],
      clusterName: 'c',
      now: NOW,
    });
    expect(at(result.planned?.document, ['roleAssignments'])).toEqual([
      { principalId: 'p-123', role: 'Key Vault Secrets User', scope: vault },
    ]);
  });
});
