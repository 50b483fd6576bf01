import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import { CLOUD_RUN_SERVICE_PATTERN } from '../../../../src/api/index.js';
import { CLOUD_RUN_SERVICES, cloudRunServicesOf } from '../../../../src/providers/gcp/cloud-run-services.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import {
  type FunctionReading,
  forbiddenMessage,
  functionStates,
  functionsToUpdate,
  updatePermissionDenied,
} from '../../../../src/providers/shared/attached-functions.js';
import { roleDeletedMessage } from '../../../../src/reconcilers/serverless-functions.js';

const EMAIL = 'keyless-shop-fn-0a1b2c3d@keyless-test.iam.gserviceaccount.com';
const OTHER = 'someone@keyless-test.iam.gserviceaccount.com';
const svc = (name: string, project = 'keyless-test', region = 'europe-west1') =>
  `projects/${project}/locations/${region}/services/${name}`;

function request(
  services: string[],
  platform: 'GCPCloudRunFunction' | 'AWSLambda' = 'GCPCloudRunFunction',
): IdentityRequest {
  const spec: WorkloadIdentitySpec = {
    accountRef: { name: 'prod' },
    subjects: [{ serviceAccount: { name: 'api' } }, { serverless: { platform, services } }],
  };
  return {
    owner: { cluster: 'c', namespace: 'shop', name: 'fn', uid: 'u' },
    account: {
      name: 'prod',
      spec: {
        provider: 'gcp',
        gcp: { projectId: 'keyless-test', workloadIdentityPool: 'keyless-test.svc.id.goog' },
      } as CloudAccountSpec,
    },
    spec,
    adopt: false,
  };
}

describe('the Cloud Run service pattern of the CRD', () => {
  const pattern = new RegExp(CLOUD_RUN_SERVICE_PATTERN);
  it.each([
    [svc('orders'), true],
    [svc('orders', '123456789012'), true],
    [svc('orders', 'keyless-test', 'northamerica-northeast1'), true],
    [svc(`o${'r'.repeat(47)}s`), true],
    [svc(`o${'r'.repeat(48)}s`), false],
    [svc('Orders'), false],
    [svc('orders-'), false],
    [svc('orders', 'keyless-test', 'global'), false],
    ['projects/keyless-test/locations/europe-west1/jobs/orders', false],
    ['https://orders-abc123-ew.a.run.app', false],
    ['orders', false],
  ])('%s matches: %s', (name, matches) => {
    expect(pattern.test(name)).toBe(matches);
  });
});

describe('which services', () => {
  it('are those of the GCPCloudRunFunction subject, once each, in spec order', () => {
    expect(cloudRunServicesOf(request([svc('b'), svc('a'), svc('b')]))).toEqual([svc('b'), svc('a')]);
    expect(cloudRunServicesOf(request([]))).toEqual([]);
    expect(cloudRunServicesOf(request([svc('a')], 'AWSLambda'))).toEqual([]);
  });
});

describe('service states', () => {
  const readings: FunctionReading[] = [
    { id: svc('a'), kind: 'found', runsAs: EMAIL },
    { id: svc('b'), kind: 'found', runsAs: OTHER },
    { id: svc('c'), kind: 'found', runsAs: '' },
    { id: svc('d'), kind: 'missing' },
    { id: svc('e'), kind: 'forbidden', message: 'no' },
  ];

  it('say what each service runs as; another service account is drift', () => {
    const { states, drift } = functionStates(
      CLOUD_RUN_SERVICES,
      EMAIL,
      readings,
      new Set([svc('b'), svc('c')]),
    );
    expect(states).toEqual([
      { arn: svc('a'), role: EMAIL, state: 'Attached' },
      {
        arn: svc('b'),
        role: OTHER,
        state: 'Drifted',
        message: `Cloud Run service ${svc('b')} runs as ${OTHER}, not ${EMAIL}.`,
      },
      {
        arn: svc('c'),
        role: 'the default compute service account',
        state: 'Drifted',
        message: `Cloud Run service ${svc('c')} runs as the default compute service account, not ${EMAIL}.`,
      },
      { arn: svc('d'), state: 'Missing', message: `Cloud Run service ${svc('d')} does not exist.` },
      { arn: svc('e'), state: 'Forbidden', message: 'no' },
    ]);
    expect(drift).toEqual([
      { field: `services[${svc('b')}].serviceAccount`, wanted: EMAIL, found: OTHER },
      {
        field: `services[${svc('c')}].serviceAccount`,
        wanted: EMAIL,
        found: 'the default compute service account',
      },
    ]);
  });

  it('mark as pending a service Keyless never attached, and only that one', () => {
    expect(functionStates(CLOUD_RUN_SERVICES, EMAIL, readings, new Set([svc('b')])).pending).toEqual([
      `services[${svc('c')}].serviceAccount`,
    ]);
    expect(functionStates(CLOUD_RUN_SERVICES, EMAIL, readings, new Set()).pending).toHaveLength(2);
  });

  it('pick for an update only the services whose service account is drift', () => {
    const { drift } = functionStates(CLOUD_RUN_SERVICES, EMAIL, readings, new Set());
    expect(functionsToUpdate(CLOUD_RUN_SERVICES, [svc('a'), svc('b'), svc('c'), svc('d')], drift)).toEqual([
      svc('b'),
      svc('c'),
    ]);
    expect(
      functionsToUpdate(CLOUD_RUN_SERVICES, [svc('a')], [{ field: 'displayName', wanted: 'x', found: 'y' }]),
    ).toEqual([]);
  });
});

describe('forbidden messages', () => {
  it('name the permission and what it is on', () => {
    expect(forbiddenMessage(CLOUD_RUN_SERVICES, svc('a'), 'run.services.get', EMAIL)).toBe(
      `The operator may not read Cloud Run service ${svc('a')}: it lacks run.services.get on ${svc('a')}.`,
    );
    expect(forbiddenMessage(CLOUD_RUN_SERVICES, svc('a'), 'iam.serviceAccounts.actAs', EMAIL)).toBe(
      `The operator may not change Cloud Run service ${svc('a')}: it lacks iam.serviceAccounts.actAs on service account ${EMAIL}.`,
    );
  });

  it('tell actAs from run.services.update by Google’s message', () => {
    expect(
      updatePermissionDenied(
        CLOUD_RUN_SERVICES,
        `services.patch: Permission 'iam.serviceAccounts.actAs' denied on service account ${EMAIL} (or it may not exist).`,
      ),
    ).toBe('iam.serviceAccounts.actAs');
    expect(
      updatePermissionDenied(
        CLOUD_RUN_SERVICES,
        `services.patch: Permission 'run.services.update' denied on resource.`,
      ),
    ).toBe('run.services.update');
  });
});

describe('the Warning on delete', () => {
  it('speaks of a Cloud Run service and its service account, or a Lambda function and its role', () => {
    expect(roleDeletedMessage(svc('a'), EMAIL)).toBe(
      `Cloud Run service ${svc('a')} still runs as ${EMAIL}, which was deleted with this identity; Keyless leaves the service unchanged: give it another service account.`,
    );
    expect(
      roleDeletedMessage('arn:aws:lambda:eu-west-1:123456789012:function:x', 'arn:aws:iam::1:role/r'),
    ).toMatch(/^Lambda function .* give it another execution role\.$/);
  });
});
