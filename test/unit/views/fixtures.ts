import type { Condition } from '../../../src/api/conditions.js';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../../../src/api/index.js';

export const T0 = '2026-03-01T10:00:00.000Z';

export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message = `${type} ${reason}`,
  lastTransitionTime = T0,
): Condition {
  return { type, status, reason, message, lastTransitionTime };
}

export const ready = [
  condition('Ready', 'True', 'Available'),
  condition('Synced', 'True', 'ReconcileSuccess'),
  condition('Drifted', 'False', 'NoDrift'),
];

export function account(name: string, extra: Partial<CloudAccount> = {}): CloudAccount {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'CloudAccount',
    metadata: { name, uid: `uid-${name}`, generation: 1 },
    spec: {
      provider: 'aws',
      aws: {
        accountId: '123456789012',
        region: 'eu-west-1',
        oidcProvider: { issuerUrl: 'https://oidc.example' },
      },
      credentials: { source: 'Secret', secretRef: { name: 'aws-keys', namespace: 'keyless-system' } },
      guardrails: { deniedActions: ['iam:*'], maxAccess: 'write' },
    },
    status: {
      conditions: [
        condition('Ready', 'True', 'CredentialsValid'),
        condition('Synced', 'True', 'ReconcileSuccess'),
      ],
      observedGeneration: 1,
      callerIdentity: 'arn:aws:iam::123456789012:user/keyless',
      identityCount: 1,
    },
    ...extra,
  } as CloudAccount;
}

export function identity(
  name: string,
  namespace = 'shop',
  status: WorkloadIdentity['status'] = { conditions: ready, observedGeneration: 1 },
  spec: Partial<WorkloadIdentity['spec']> = {},
): WorkloadIdentity {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      generation: 1,
      creationTimestamp: T0,
      annotations: { 'keyless.dev/secret-looking': 'not-shown' },
    },
    spec: { accountRef: { name: 'aws-prod' }, subjects: [{ serviceAccount: { name } }], ...spec },
    status,
  } as WorkloadIdentity;
}

export function binding(
  name: string,
  identityName: string,
  namespace = 'shop',
  status: IdentityBinding['status'] = { conditions: ready, observedGeneration: 1 },
  spec: Partial<IdentityBinding['spec']> = {},
): IdentityBinding {
  return {
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'IdentityBinding',
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, generation: 1, creationTimestamp: T0 },
    spec: {
      identityRef: { name: identityName },
      grants: [{ resource: 'arn:aws:s3:::shop-invoices', access: 'read' }],
      ...spec,
    },
    status,
  } as IdentityBinding;
}
