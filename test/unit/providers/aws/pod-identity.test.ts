import { describe, expect, it } from 'vitest';
import type { CloudAccountSpec, WorkloadIdentitySpec } from '../../../../src/api/index.js';
import {
  associationStates,
  desiredAssociations,
  type ObservedAssociation,
  planAssociations,
  podIdentityCluster,
} from '../../../../src/providers/aws/pod-identity.js';
import type { IdentityRequest } from '../../../../src/providers/provider.js';
import { ownerTags } from '../../../../src/providers/shared/ownership.js';

const AWS = {
  accountId: '123456789012',
  region: 'eu-west-1',
  oidcProvider: { issuerUrl: 'https://oidc.example/id/1' },
  eksCluster: { name: 'prod-eu' },
};
const OWNER = { cluster: 'prod-eu', namespace: 'shop', name: 'orders-api', uid: 'u-1' };
const ROLE = 'arn:aws:iam::123456789012:role/keyless/keyless-shop-orders-api-1a2b3c4d';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/ops/other';

function request(spec: Partial<WorkloadIdentitySpec>, aws: Partial<typeof AWS> = {}): IdentityRequest {
  return {
    owner: OWNER,
    account: { name: 'prod', spec: { provider: 'aws', aws: { ...AWS, ...aws } } as CloudAccountSpec },
    spec: {
      accountRef: { name: 'prod' },
      subjects: [{ serviceAccount: { name: 'worker' } }, { serviceAccount: { name: 'api' } }],
      aws: { podIdentity: true },
      ...spec,
    },
    adopt: false,
  };
}

const observed = (
  serviceAccount: string,
  roleArn: string,
  tags: Record<string, string>,
): ObservedAssociation => ({
  associationId: `a-${serviceAccount.padEnd(17, '0')}`,
  namespace: 'shop',
  serviceAccount,
  roleArn,
  tags,
});
const OURS = ownerTags(OWNER);
const SOMEONE_ELSE = ownerTags({ ...OWNER, name: 'billing' });

describe('desired Pod Identity associations', () => {
  it('wants one per ServiceAccount subject, sorted, tagged with the owner, in the account cluster', () => {
    const r = request({
      subjects: [
        { serviceAccount: { name: 'worker' } },
        { serverless: { platform: 'AWSLambda' } },
        { serviceAccount: { name: 'api' } },
      ],
    });
    expect(podIdentityCluster(r)).toEqual({ name: 'prod-eu', region: 'eu-west-1' });
    expect(desiredAssociations(r, ROLE)).toEqual([
      { namespace: 'shop', serviceAccount: 'api', roleArn: ROLE, tags: OURS },
      { namespace: 'shop', serviceAccount: 'worker', roleArn: ROLE, tags: OURS },
    ]);
  });

  it.each<[string, IdentityRequest]>([
    ['podIdentity off', request({ aws: { podIdentity: false } })],
    ['podIdentity unset', request({ aws: {} })],
  ])('wants none with %s', (_, r) => {
    expect(podIdentityCluster(r)).toBeUndefined();
    expect(desiredAssociations(r, ROLE)).toEqual([]);
  });

  it('takes the cluster region when the account gives one', () => {
    expect(
      podIdentityCluster(request({}, { eksCluster: { name: 'prod-us', region: 'us-east-1' } as never })),
    ).toEqual({
      name: 'prod-us',
      region: 'us-east-1',
    });
  });
});

describe('planning against what EKS holds', () => {
  const desired = desiredAssociations(request({}), ROLE);

  it.each<[string, ObservedAssociation[], Record<string, string[]>]>([
    [
      'nothing yet: create both',
      [],
      { create: ['api', 'worker'], correct: [], remove: [], conflicts: [], upToDate: [] },
    ],
    [
      'ours, one pointed elsewhere: correct it',
      [observed('api', ROLE, OURS), observed('worker', OTHER_ROLE, OURS)],
      { create: [], correct: ['worker'], remove: [], conflicts: [], upToDate: ['api'] },
    ],
    [
      'ours for a ServiceAccount no longer a subject: remove it; another object’s stale one: leave it',
      [
        observed('api', ROLE, OURS),
        observed('worker', ROLE, OURS),
        observed('old', ROLE, OURS),
        observed('legacy', ROLE, SOMEONE_ELSE),
      ],
      { create: [], correct: [], remove: ['old'], conflicts: [], upToDate: ['api', 'worker'] },
    ],
    [
      'held by another Keyless object or by nobody: a conflict, never touched',
      [observed('api', OTHER_ROLE, SOMEONE_ELSE), observed('worker', OTHER_ROLE, {})],
      { create: [], correct: [], remove: [], conflicts: ['api', 'worker'], upToDate: [] },
    ],
    [
      'the same owner after a re-create (a new uid) is still ours',
      [observed('api', ROLE, { ...OURS, 'keyless.dev/uid': 'u-0' }), observed('worker', ROLE, OURS)],
      { create: [], correct: [], remove: [], conflicts: [], upToDate: ['api', 'worker'] },
    ],
  ])('%s', (_, found, wanted) => {
    const plan = planAssociations(OWNER, desired, found);
    expect({
      create: plan.create.map((d) => d.serviceAccount),
      correct: plan.correct.map((c) => c.wanted.serviceAccount),
      remove: plan.remove.map((a) => a.serviceAccount),
      conflicts: plan.conflicts.map((c) => c.serviceAccount),
      upToDate: plan.upToDate.map((a) => a.serviceAccount),
    }).toEqual(wanted);
  });

  const CLUSTER = { name: 'prod-eu', region: 'eu-west-1' };

  it('reports missing and re-pointed associations as drift, pending while Keyless never had them in place', () => {
    const plan = planAssociations(OWNER, desired, [
      observed('worker', OTHER_ROLE, OURS),
      observed('old', ROLE, OURS),
    ]);
    const never = associationStates(CLUSTER, plan, new Set());
    expect(never.drift).toEqual([
      { field: 'podIdentityAssociations[worker].roleArn', wanted: ROLE, found: OTHER_ROLE },
      { field: 'podIdentityAssociations[api]', wanted: ROLE, found: 'absent' },
      { field: 'podIdentityAssociations[old]', wanted: 'absent', found: ROLE },
    ]);
    expect(never.pending).toEqual(never.drift.map((d) => d.field));
    expect(never.states.map((s) => [s.serviceAccount, s.state])).toEqual([['worker', 'Drifted']]);

    // In place before: a re-pointed or deleted association is out-of-band drift; removing a former subject's is still the spec.
    const before = associationStates(CLUSTER, plan, new Set(['api', 'worker']));
    expect(before.pending).toEqual(['podIdentityAssociations[old]']);
    expect(before.states).toEqual([
      {
        serviceAccount: 'api',
        state: 'Drifted',
        message: 'The Pod Identity association of ServiceAccount api was deleted from EKS cluster prod-eu.',
      },
      {
        serviceAccount: 'worker',
        associationId: 'a-worker00000000000',
        roleArn: OTHER_ROLE,
        state: 'Drifted',
        message: `The Pod Identity association of ServiceAccount worker names ${OTHER_ROLE}, not ${ROLE}.`,
      },
    ]);
  });

  it('names a conflict and whose the association is, and leaves it out of drift', () => {
    const plan = planAssociations(OWNER, desired, [
      observed('api', OTHER_ROLE, SOMEONE_ELSE),
      observed('worker', ROLE, OURS),
    ]);
    const { states, drift } = associationStates(CLUSTER, plan, new Set());
    expect(drift).toEqual([]);
    expect(states).toEqual([
      {
        serviceAccount: 'api',
        associationId: 'a-api00000000000000',
        roleArn: OTHER_ROLE,
        state: 'Conflict',
        message: `EKS cluster prod-eu already has Pod Identity association a-api00000000000000 for ServiceAccount api (role ${OTHER_ROLE}), held by prod-eu/shop/billing; EKS allows one per ServiceAccount, so Keyless leaves it alone until it is deleted`,
      },
      { serviceAccount: 'worker', associationId: 'a-worker00000000000', roleArn: ROLE, state: 'Associated' },
    ]);
  });
});
