import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, Grant, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import {
  accountId,
  denyPermission,
  memberGrantFromSummary,
  ownerDescription,
  ownerFromDescription,
  plannedGrants,
  resolveGcpGrants,
  serviceAccountEmail,
  summaryOf,
  trustBindings,
  workloadMember,
} from '../../../../src/providers/gcp/mapping.js';
import type { GrantRequest, IdentityRequest, ResolvedGrant } from '../../../../src/providers/provider.js';

const GCP = {
  projectId: 'shop-prod-4821',
  projectNumber: '481516234200',
  workloadIdentityPool: 'shop-prod-4821.svc.id.goog',
};
const ACCOUNT = { name: 'gcp', spec: { provider: 'gcp', gcp: GCP } as CloudAccountSpec };
const OWNER = { cluster: 'prod-eu', namespace: 'shop', name: 'reports', uid: 'u-1' };

function identity(
  spec: Partial<WorkloadIdentitySpec> = {},
  pool = GCP.workloadIdentityPool,
): IdentityRequest {
  return {
    owner: OWNER,
    account: { name: 'gcp', spec: { provider: 'gcp', gcp: { ...GCP, workloadIdentityPool: pool } } },
    spec: { accountRef: { name: 'gcp' }, subjects: [{ serviceAccount: { name: 'reports' } }], ...spec },
    adopt: false,
  };
}

describe('service account', () => {
  it('has a deterministic id of 6–30 lowercase characters starting with a letter', () => {
    expect(accountId(OWNER)).toMatch(/^kl-shop-reports-[0-9a-f]{8}$/);
    expect(serviceAccountEmail(OWNER, GCP)).toBe(
      `${accountId(OWNER)}@shop-prod-4821.iam.gserviceaccount.com`,
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 63 }),
        fc.string({ minLength: 1, maxLength: 253 }),
        (namespace, name) => {
          expect(accountId({ ...OWNER, namespace, name })).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
        },
      ),
    );
  });

  it('carries its owner in the description, read back exactly', () => {
    expect(ownerFromDescription(ownerDescription(OWNER))).toEqual(OWNER);
    expect(ownerFromDescription('made by hand')).toBeUndefined();
    expect(ownerFromDescription(undefined)).toBeUndefined();
  });

  it.each([
    ['GKE', 'shop-prod-4821.svc.id.goog', 'serviceAccount:shop-prod-4821.svc.id.goog[shop/reports]'],
    [
      'a federation pool',
      'projects/481516234200/locations/global/workloadIdentityPools/onprem',
      'principal://iam.googleapis.com/projects/481516234200/locations/global/workloadIdentityPools/onprem/subject/system:serviceaccount:shop:reports',
    ],
    [
      'a federation pool provider',
      'projects/481516234200/locations/global/workloadIdentityPools/onprem/providers/k8s',
      'principal://iam.googleapis.com/projects/481516234200/locations/global/workloadIdentityPools/onprem/subject/system:serviceaccount:shop:reports',
    ],
  ])('trusts the ServiceAccount through %s', (_name, pool, member) => {
    expect(workloadMember({ ...GCP, workloadIdentityPool: pool }, 'shop', 'reports')).toBe(member);
    expect(trustBindings(identity({}, pool))['roles/iam.workloadIdentityUser']).toEqual([member]);
  });

  it('lets Cloud Run function deployers act as the account, and refuses other clouds’ functions', () => {
    const trust = trustBindings(
      identity({
        subjects: [{ serverless: { platform: 'GCPCloudRunFunction', deployers: ['user:ana@example.com'] } }],
      }),
    );
    expect(trust).toEqual({
      'roles/iam.workloadIdentityUser': [],
      'roles/iam.serviceAccountUser': ['user:ana@example.com'],
    });
    expect(() => trustBindings(identity({ subjects: [{ serverless: { platform: 'AWSLambda' } }] }))).toThrow(
      /AWSLambda cannot run as a Google Cloud service account/,
    );
    expect(() => trustBindings(identity({}, 'not-a-pool'))).toThrow(/neither PROJECT\.svc\.id\.goog nor/);
  });
});

describe('grants', () => {
  it.each<[string, Grant, Partial<ResolvedGrant>]>([
    [
      'a bucket, narrowed by a condition',
      { resource: '//storage.googleapis.com/projects/_/buckets/reports-2026', access: 'read' },
      {
        permissions: ['roles/storage.objectViewer'],
        scopes: ['projects/shop-prod-4821'],
        condition:
          '(resource.name == "projects/_/buckets/reports-2026" || resource.name.startsWith("projects/_/buckets/reports-2026/"))',
      },
    ],
    [
      'a secret, by project number',
      { resource: '//secretmanager.googleapis.com/projects/shop-prod-4821/secrets/db', access: 'read' },
      {
        permissions: ['roles/secretmanager.secretAccessor'],
        condition:
          '(resource.name == "projects/481516234200/secrets/db" || resource.name.startsWith("projects/481516234200/secrets/db/"))',
      },
    ],
    [
      'a BigQuery dataset',
      { resource: '//bigquery.googleapis.com/projects/shop-prod-4821/datasets/analytics', access: 'write' },
      {
        permissions: ['roles/bigquery.dataEditor'],
        condition:
          '(resource.name == "projects/shop-prod-4821/datasets/analytics" || resource.name.startsWith("projects/shop-prod-4821/datasets/analytics/"))',
      },
    ],
    [
      'the project',
      { resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821', access: 'read' },
      { permissions: ['roles/viewer'], scopes: ['projects/shop-prod-4821'] },
    ],
    [
      'a service account, on its own policy',
      {
        resource:
          '//iam.googleapis.com/projects/shop-prod-4821/serviceAccounts/batch@shop-prod-4821.iam.gserviceaccount.com',
        access: 'write',
      },
      {
        permissions: ['roles/iam.serviceAccountTokenCreator'],
        scopes: ['projects/-/serviceAccounts/batch@shop-prod-4821.iam.gserviceaccount.com'],
      },
    ],
    [
      'a raw role on the project',
      {
        resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821',
        role: 'roles/pubsub.publisher',
      },
      { permissions: ['roles/pubsub.publisher'], permissionKind: 'role' },
    ],
  ])('%s', (_name, grant, expected) => {
    const [resolved] = resolveGcpGrants([grant], ACCOUNT);
    expect(resolved).toMatchObject(expected);
    if (!('condition' in expected)) expect(resolved?.condition).toBeUndefined();
  });

  it.each<[string, Grant, RegExp]>([
    [
      'Pub/Sub topics (no resource.name conditions there)',
      { resource: '//pubsub.googleapis.com/projects/shop-prod-4821/topics/orders', access: 'write' },
      /Pub\/Sub does not recognise IAM conditions.*projects\/shop-prod-4821, role roles\/pubsub.publisher/,
    ],
    [
      'another project',
      { resource: '//bigquery.googleapis.com/projects/elsewhere/datasets/x', access: 'read' },
      /in project elsewhere, but this CloudAccount manages shop-prod-4821/,
    ],
    [
      'an unknown resource',
      { resource: '//compute.googleapis.com/projects/p/zones/z/instances/i', access: 'read' },
      /not a resource Keyless can grant on/,
    ],
    [
      'a name holding a space, saying where',
      { resource: '//storage.googleapis.com/projects/_/buckets/bad name', access: 'read' },
      /the resource is not a well-formed full resource name: it holds white space at character 48/,
    ],
    [
      'a name without the leading //',
      { resource: 'storage.googleapis.com/projects/_/buckets/b-1', access: 'read' },
      /not a well-formed full resource name: it does not start with \/\/SERVICE.googleapis.com\//,
    ],
    [
      'a name with an empty segment',
      { resource: '//storage.googleapis.com/projects//buckets/b-1', access: 'read' },
      /it has an empty segment: two slashes at characters 34–35/,
    ],
    [
      'a name with a .. segment',
      { resource: '//iam.googleapis.com/projects/shop-prod-4821/serviceAccounts/a@b/..', access: 'write' },
      /not a well-formed full resource name: its segment "\.\." \(at character 66\) is a dot segment/,
    ],
    [
      'a name with a percent-escape',
      { resource: '//storage.googleapis.com/projects/_/buckets/b%2e', access: 'read' },
      /not a well-formed full resource name: it holds % at character 46/,
    ],
    [
      'a well-formed name of a known service that fits no entry',
      { resource: '//storage.googleapis.com/projects/_/buckets/B_UPPER', access: 'read' },
      /a storage.googleapis.com name, but none Keyless can grant on: it fits none of A Cloud Storage bucket and its objects/,
    ],
    [
      'AWS actions',
      {
        resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821',
        actions: ['s3:GetObject'],
      },
      /use access or role, not actions/,
    ],
    [
      'a basic role with a condition',
      { resource: '//storage.googleapis.com/projects/_/buckets/b-1', role: 'roles/editor' },
      /basic role and cannot carry an IAM condition/,
    ],
    [
      'a malformed role',
      { resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821', role: 'owner' },
      /owner is not an IAM role/,
    ],
  ])('refuses %s, naming the grant', (_name, grant, message) => {
    expect(() => resolveGcpGrants([grant], ACCOUNT)).toThrow(message);
  });

  it('denies permissions in the IAM v2 form', () => {
    expect(denyPermission('iam.serviceAccountKeys.create')).toBe(
      'iam.googleapis.com/serviceAccountKeys.create',
    );
    expect(denyPermission('iam.googleapis.com/serviceAccounts.delete')).toBe(
      'iam.googleapis.com/serviceAccounts.delete',
    );
  });
});

describe('plannedGrants', () => {
  const bucket = resolveGcpGrants(
    [{ resource: '//storage.googleapis.com/projects/_/buckets/b-1', access: 'read' }],
    ACCOUNT,
  );
  const project = resolveGcpGrants(
    [{ resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821', access: 'read' }],
    ACCOUNT,
  );
  const request = (parts: Partial<GrantRequest>): GrantRequest => ({
    owner: OWNER,
    account: ACCOUNT,
    identity: { owner: OWNER, externalName: 'sa', principal: { email: 'sa@x' } },
    grants: [],
    expiresAt: undefined,
    previous: [],
    otherGrants: [],
    ...parts,
  });

  it('adds the expiry as a request.time condition, and refuses it on basic roles', () => {
    const { wanted } = plannedGrants(
      request({ grants: bucket, expiresAt: new Date('2026-12-01T08:00:00.000Z') }),
    );
    expect(wanted[0]?.condition).toBe(
      '(resource.name == "projects/_/buckets/b-1" || resource.name.startsWith("projects/_/buckets/b-1/")) && request.time < timestamp("2026-12-01T08:00:00Z")',
    );
    expect(() => plannedGrants(request({ grants: project, expiresAt: new Date() }))).toThrow(/basic role/);
  });

  it('removes what status says was applied and the spec no longer wants, unless a sibling binding needs it', () => {
    const previous = [...bucket, ...project].map((g) => ({
      resource: g.resource,
      summary: summaryOf({ target: g.scopes[0] ?? '', role: g.permissions[0] ?? '', condition: g.condition }),
    }));
    expect(plannedGrants(request({ grants: bucket, previous })).stale.map((g) => g.role)).toEqual([
      'roles/viewer',
    ]);
    expect(plannedGrants(request({ grants: bucket, previous, otherGrants: project })).stale).toEqual([]);
  });

  it('reads back every summary it writes (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('roles/viewer', 'roles/storage.objectViewer'),
        fc.constantFrom('projects/p-123456', 'projects/-/serviceAccounts/a@b.iam.gserviceaccount.com'),
        fc.option(
          fc.constantFrom(
            '(resource.name == "projects/_/buckets/b" || resource.name.startsWith("projects/_/buckets/b/"))',
            'request.time < timestamp("2026-01-01T00:00:00Z")',
          ),
          { nil: undefined },
        ),
        (role, target, condition) => {
          expect(memberGrantFromSummary(summaryOf({ role, target, condition }))).toEqual({
            role,
            target,
            condition,
          });
        },
      ),
    );
  });
});
