import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import {
  checkDirectGrants,
  DIRECT_LIMITS,
  directAccessProblem,
  directMember,
  directMembers,
  gcpModeOf,
  gkePoolProject,
  knownPoolProjectNumber,
  validateDirect,
} from '../../../../src/providers/gcp/direct.js';
import { resolveGcpGrants } from '../../../../src/providers/gcp/mapping.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import { ClassifiedError } from '../../../../src/runtime/errors.js';

const GCP = {
  projectId: 'shop-prod-4821',
  projectNumber: '481516234200',
  workloadIdentityPool: 'shop-prod-4821.svc.id.goog',
};
type Gcp = NonNullable<CloudAccountSpec['gcp']>;
const OWNER = { cluster: 'prod-eu', namespace: 'shop', name: 'reports', uid: 'u-1' };

function identity(spec: Partial<WorkloadIdentitySpec> = {}, gcp: Partial<Gcp> = {}): IdentityRequest {
  return {
    owner: OWNER,
    account: { name: 'gcp', spec: { provider: 'gcp', gcp: { ...GCP, ...gcp } } },
    spec: { accountRef: { name: 'gcp' }, subjects: [{ serviceAccount: { name: 'reports' } }], ...spec },
    adopt: false,
  };
}

describe('mode', () => {
  it.each([
    ['nothing set', undefined, undefined, 'ServiceAccount'],
    ['the account’s default', undefined, 'Direct', 'Direct'],
    ['the identity’s own', 'Direct', undefined, 'Direct'],
    ['the identity’s over the account’s', 'ServiceAccount', 'Direct', 'ServiceAccount'],
  ] as const)('%s', (_, mode, defaultMode, expected) => {
    const request = identity(mode ? { gcp: { mode } } : {}, defaultMode ? { defaultMode } : {});
    expect(gcpModeOf(request)).toBe(expected);
  });
});

describe('principal identifiers', () => {
  it.each([
    [
      'a GKE pool in the account’s project',
      GCP,
      '481516234200',
      'principal://iam.googleapis.com/projects/481516234200/locations/global/workloadIdentityPools/shop-prod-4821.svc.id.goog/subject/ns/shop/sa/reports',
    ],
    [
      'a GKE pool in the cluster’s own project',
      { ...GCP, workloadIdentityPool: 'gke-fleet-01.svc.id.goog' },
      '99',
      'principal://iam.googleapis.com/projects/99/locations/global/workloadIdentityPools/gke-fleet-01.svc.id.goog/subject/ns/shop/sa/reports',
    ],
    [
      'a federation pool, which carries its number',
      {
        ...GCP,
        workloadIdentityPool: 'projects/42/locations/global/workloadIdentityPools/onprem/providers/k8s',
      },
      'unused',
      'principal://iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/onprem/subject/system:serviceaccount:shop:reports',
    ],
  ])('%s', (_, gcp, number, expected) => {
    expect(directMember(gcp, number, 'shop', 'reports')).toBe(expected);
  });

  it('knows the pool project’s number only when it is the account’s project', () => {
    expect(gkePoolProject(GCP)).toBe('shop-prod-4821');
    expect(knownPoolProjectNumber(GCP)).toBe('481516234200');
    expect(
      knownPoolProjectNumber({ ...GCP, workloadIdentityPool: 'gke-fleet-01.svc.id.goog' }),
    ).toBeUndefined();
    const federation = {
      ...GCP,
      workloadIdentityPool: 'projects/42/locations/global/workloadIdentityPools/p',
    };
    expect(gkePoolProject(federation)).toBeUndefined();
    expect(knownPoolProjectNumber(federation)).toBe('481516234200');
  });

  it('gives one sorted member per ServiceAccount subject', () => {
    const request = identity({
      gcp: { mode: 'Direct' },
      subjects: [{ serviceAccount: { name: 'worker' } }, { serviceAccount: { name: 'api' } }],
    });
    expect(directMembers(request, '7').map((m) => m.split('/subject/')[1])).toEqual([
      'ns/shop/sa/api',
      'ns/shop/sa/worker',
    ]);
  });

  it('refuses serverless subjects and a pool of neither form in mode Direct, and checks nothing otherwise', () => {
    const serverless = { subjects: [{ serverless: { platform: 'GCPCloudRunFunction' as const } }] };
    expect(() => validateDirect(identity({ ...serverless, gcp: { mode: 'Direct' } }))).toThrow(
      /runs as a service account, which gcp mode Direct does not create/,
    );
    expect(() => validateDirect(identity(serverless))).not.toThrow();
    expect(() =>
      validateDirect(identity({ gcp: { mode: 'Direct' } }, { workloadIdentityPool: 'not-a-pool' })),
    ).toThrow(/neither PROJECT\.svc\.id\.goog nor/);
    expect(() =>
      validateDirect(identity({ gcp: { mode: 'Direct' } }, { workloadIdentityPool: 'X.svc.id.goog' })),
    ).toThrow(/names no valid project id/);
  });
});

describe('products that do not accept federated principals', () => {
  const PROJECT = '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821';
  it.each([
    [
      'a bucket, read',
      '//storage.googleapis.com/projects/_/buckets/orders',
      'roles/storage.objectViewer',
      undefined,
    ],
    [
      'a secret',
      '//secretmanager.googleapis.com/projects/p/secrets/s',
      'roles/secretmanager.secretAccessor',
      undefined,
    ],
    ['a Dataflow worker role', PROJECT, 'roles/dataflow.worker', /Dataflow.*runs as/],
    ['a Cloud Build builder role', PROJECT, 'roles/cloudbuild.builds.builder', /Cloud Build/],
    ['a node service account role', PROJECT, 'roles/container.defaultNodeServiceAccount', /nodes run as/],
    ['a service agent role', PROJECT, 'roles/run.serviceAgent', /service agent/],
    [
      'workload identity user on a service account (impersonation works for federated principals)',
      '//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com',
      'roles/iam.workloadIdentityUser',
      undefined,
    ],
    ['a role of the same service that is not a worker', PROJECT, 'roles/dataflow.viewer', undefined],
    ['a denied service', '//example.googleapis.com/x', 'roles/viewer', 'custom'],
  ])('%s', (_, resource, role, expected) => {
    const limits = [
      ...DIRECT_LIMITS,
      { product: 'Example', services: ['example.googleapis.com'], why: 'it is an example' },
    ];
    const problem = directAccessProblem({ resource, permissions: [role] }, limits);
    if (expected === 'custom')
      expect(problem).toMatch(
        /^roles\/viewer on \/\/example\.googleapis\.com\/x: Example: it is an example; set spec\.gcp\.mode ServiceAccount/,
      );
    else if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('says what to do in every entry', () => {
    for (const limit of DIRECT_LIMITS) {
      expect(Boolean(limit.services?.length) || limit.roles !== undefined).toBe(true);
      expect(limit.why).not.toMatch(/\.$/);
    }
  });

  it('refuses a resolved grant with the reason DirectAccessUnsupported, naming the grant', () => {
    const account = { name: 'gcp', spec: { provider: 'gcp', gcp: GCP } as CloudAccountSpec };
    const grants = resolveGcpGrants(
      [
        { resource: '//storage.googleapis.com/projects/_/buckets/orders', access: 'read' },
        {
          resource: '//cloudresourcemanager.googleapis.com/projects/shop-prod-4821',
          role: 'roles/dataflow.worker',
        },
      ],
      account,
    );
    let error: unknown;
    try {
      checkDirectGrants(grants);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ClassifiedError);
    expect((error as ClassifiedError).reason).toBe('DirectAccessUnsupported');
    expect((error as ClassifiedError).kind).toBe('terminal');
    expect((error as Error).message).toMatch(/^grant 1 \(\/\/cloudresourcemanager/);
    expect(() => checkDirectGrants(grants.slice(0, 1))).not.toThrow();
  });
});
