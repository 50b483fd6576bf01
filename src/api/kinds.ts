import type { TSchema } from '@sinclair/typebox';
import { CloudAccountSpecSchema, CloudAccountStatusSchema } from './cloud-account.js';
import { IdentityBindingSpecSchema, IdentityBindingStatusSchema } from './identity-binding.js';
import { WorkloadIdentitySpecSchema, WorkloadIdentityStatusSchema } from './workload-identity.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  spec: TSchema;
  status: TSchema;
  printerColumns: PrinterColumn[];
}

function conditionColumn(type: string): PrinterColumn {
  return { name: type, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status` };
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const CLOUD_ACCOUNT: KindDefinition = {
  kind: 'CloudAccount',
  plural: 'cloudaccounts',
  singular: 'cloudaccount',
  shortNames: ['ca'],
  scope: 'Cluster',
  spec: CloudAccountSpecSchema,
  status: CloudAccountStatusSchema,
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    conditionColumn('Ready'),
    { name: 'Identities', type: 'integer', jsonPath: '.status.identityCount' },
    AGE,
  ],
};

export const WORKLOAD_IDENTITY: KindDefinition = {
  kind: 'WorkloadIdentity',
  plural: 'workloadidentities',
  singular: 'workloadidentity',
  shortNames: ['wi'],
  scope: 'Namespaced',
  spec: WorkloadIdentitySpecSchema,
  status: WorkloadIdentityStatusSchema,
  printerColumns: [
    conditionColumn('Ready'),
    conditionColumn('Synced'),
    conditionColumn('Drifted'),
    { name: 'Principal', type: 'string', jsonPath: '.status.principal.id' },
    { name: 'Account', type: 'string', jsonPath: '.spec.accountRef.name', priority: 1 },
    AGE,
  ],
};

export const IDENTITY_BINDING: KindDefinition = {
  kind: 'IdentityBinding',
  plural: 'identitybindings',
  singular: 'identitybinding',
  shortNames: ['ib'],
  scope: 'Namespaced',
  spec: IdentityBindingSpecSchema,
  status: IdentityBindingStatusSchema,
  printerColumns: [
    conditionColumn('Ready'),
    conditionColumn('Synced'),
    conditionColumn('Drifted'),
    { name: 'Identity', type: 'string', jsonPath: '.spec.identityRef.name' },
    { name: 'Expires', type: 'date', jsonPath: '.status.expiresAt' },
    AGE,
  ],
};

export const KINDS: readonly KindDefinition[] = [CLOUD_ACCOUNT, WORKLOAD_IDENTITY, IDENTITY_BINDING];
