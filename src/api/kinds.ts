import type { TSchema } from '@sinclair/typebox';
import { CloudAccountSpecSchema, CloudAccountStatusSchema } from './cloud-account.js';
import { IdentityBindingSpecSchema, IdentityBindingStatusSchema } from './identity-binding.js';
import { described, withRules } from './schema-helpers.js';
import {
  WORKLOAD_IDENTITY_SPEC_RULES,
  WorkloadIdentitySpecSchema,
  WorkloadIdentityStatusSchema,
} from './workload-identity.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  /** What `kubectl explain KIND` says first. */
  description: string;
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

const STATUS = 'What the operator last found; written by the operator only.';

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const CLOUD_ACCOUNT: KindDefinition = {
  kind: 'CloudAccount',
  description:
    'A cloud account (AWS account, Google Cloud project or Azure subscription) the operator creates identities in. Cluster-scoped, applied by a platform admin.',
  plural: 'cloudaccounts',
  singular: 'cloudaccount',
  shortNames: ['ca'],
  scope: 'Cluster',
  spec: described(
    CloudAccountSpecSchema,
    'Which cloud account, project or subscription identities are created in, how the operator reaches it, and its guardrails.',
  ),
  status: described(CloudAccountStatusSchema, STATUS),
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    conditionColumn('Ready'),
    { name: 'Identities', type: 'integer', jsonPath: '.status.identityCount' },
    AGE,
  ],
};

export const WORKLOAD_IDENTITY: KindDefinition = {
  kind: 'WorkloadIdentity',
  description:
    "A workload's own cloud identity (an IAM role, a service account or a managed identity) that only the subjects named here can assume.",
  plural: 'workloadidentities',
  singular: 'workloadidentity',
  shortNames: ['wi'],
  scope: 'Namespaced',
  spec: described(
    withRules(WorkloadIdentitySpecSchema, WORKLOAD_IDENTITY_SPEC_RULES),
    'Which cloud account the identity lives in, who may assume it, and how Keyless keeps it.',
  ),
  status: described(WorkloadIdentityStatusSchema, STATUS),
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
  description:
    'Grants for a WorkloadIdentity in the same namespace: what it may do on which resources, and until when.',
  plural: 'identitybindings',
  singular: 'identitybinding',
  shortNames: ['ib'],
  scope: 'Namespaced',
  spec: described(
    IdentityBindingSpecSchema,
    'What a WorkloadIdentity may do in the cloud, and for how long.',
  ),
  status: described(IdentityBindingStatusSchema, STATUS),
  printerColumns: [
    conditionColumn('Ready'),
    conditionColumn('Synced'),
    conditionColumn('Drifted'),
    { name: 'Identity', type: 'string', jsonPath: '.spec.identityRef.name' },
    // A date column prints the time since, which kubectl shows as <invalid> for a time still to come.
    { name: 'Expires', type: 'string', jsonPath: '.status.expiresAt', description: 'When the grants end.' },
    AGE,
  ],
};

export const KINDS: readonly KindDefinition[] = [CLOUD_ACCOUNT, WORKLOAD_IDENTITY, IDENTITY_BINDING];
