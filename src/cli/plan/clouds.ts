import type { Grant, Principal, ProviderName } from '../../api/index.js';
import {
  grantSummary as awsGrantSummary,
  desiredRole,
  inlinePolicy,
  inlinePolicyName,
  resolveAwsGrants,
} from '../../providers/aws/mapping.js';
import {
  federatedCredentials,
  identityName,
  identityTags,
  resolveAzureGrants,
  resourceGroupOf,
} from '../../providers/azure/mapping.js';
import {
  accountId,
  displayName,
  gcpAccountOf,
  ownerDescription,
  plannedGrants,
  resolveGcpGrants,
  serviceAccountEmail,
  summaryOf,
  trustBindings,
} from '../../providers/gcp/mapping.js';
import type {
  AccountRequest,
  GrantRequest,
  IdentityRequest,
  ResolvedGrant,
} from '../../providers/provider.js';
import { SERVICE_ACCOUNT_ANNOTATION } from '../../reconcilers/service-account-annotations.js';

/** The cloud identity Keyless would create or update, as that cloud's own documents. */
export interface PlannedIdentity {
  /** One line: `IAM role NAME in account 123…`. */
  what: string;
  externalName: string;
  /** The identity's fields and trust, as Keyless sends them. */
  document: Record<string, unknown>;
  /** What Keyless writes on each subject's ServiceAccount. */
  annotation: { key: string; value: string };
}

/** The grants Keyless would apply for one binding. */
export interface PlannedGrants {
  what: string;
  document: Record<string, unknown>;
  /** What status.grants would then say per resource, to compare with what it says now. */
  applied: { resource: string; summary: string }[];
}

/**
 * One cloud's pure mapping, from the providers: the same functions the operator uses to build what
 * it sends, so the plan is what Keyless would send. None of them calls a cloud.
 */
export interface CloudPlanner {
  resolve(grants: Grant[], account: AccountRequest): ResolvedGrant[];
  identity(request: IdentityRequest): PlannedIdentity;
  grants(request: GrantRequest): PlannedGrants;
}

const aws: CloudPlanner = {
  resolve: resolveAwsGrants,
  identity(request) {
    const role = desiredRole(request);
    return {
      what: `IAM role ${role.name} in AWS account ${request.account.spec.aws?.accountId}`,
      externalName: role.name,
      document: {
        role: {
          name: role.name,
          path: role.path,
          arn: role.arn,
          description: role.description,
          maxSessionDuration: role.maxSessionSeconds,
          ...(role.permissionsBoundary ? { permissionsBoundary: role.permissionsBoundary } : {}),
          tags: role.tags,
          assumeRolePolicy: role.trustPolicy,
        },
      },
      annotation: { key: SERVICE_ACCOUNT_ANNOTATION.aws, value: role.arn },
    };
  },
  grants(request) {
    const name = inlinePolicyName(request.owner);
    return {
      what: `inline policy ${name} on IAM role ${request.identity.externalName}`,
      document: {
        inlinePolicy: {
          role: request.identity.externalName,
          name,
          document: inlinePolicy(request.grants, request.expiresAt),
        },
      },
      applied: request.grants.map((g) => ({ resource: g.resource, summary: awsGrantSummary(g) })),
    };
  },
};

const gcp: CloudPlanner = {
  resolve: resolveGcpGrants,
  identity(request) {
    const gcpAccount = gcpAccountOf(request.account);
    const email = serviceAccountEmail(request.owner, gcpAccount);
    const trust = trustBindings(request);
    return {
      what: `service account ${email} in Google Cloud project ${gcpAccount.projectId}`,
      externalName: email,
      document: {
        serviceAccount: {
          accountId: accountId(request.owner),
          email,
          displayName: displayName(request),
          description: ownerDescription(request.owner),
        },
        iamPolicy: Object.entries(trust)
          .filter(([, members]) => members.length > 0)
          .map(([role, members]) => ({ role, members })),
      },
      annotation: { key: SERVICE_ACCOUNT_ANNOTATION.gcp, value: email },
    };
  },
  grants(request) {
    const member = `serviceAccount:${request.identity.principal.email ?? request.identity.externalName}`;
    const { wanted, stale } = plannedGrants(request);
    return {
      what: `IAM policy members ${member}`,
      document: {
        member,
        add: wanted.map((g) => ({
          policy: g.target,
          role: g.role,
          ...(g.condition ? { condition: g.condition } : {}),
        })),
        ...(stale.length > 0
          ? {
              remove: stale.map((g) => ({
                policy: g.target,
                role: g.role,
                ...(g.condition ? { condition: g.condition } : {}),
              })),
            }
          : {}),
      },
      applied: request.grants.map((grant, i) => ({
        resource: grant.resource,
        summary: summaryOf(
          wanted[i] ?? {
            target: grant.scopes[0] ?? '',
            role: grant.permissions[0] ?? '',
            condition: grant.condition,
          },
        ),
      })),
    };
  },
};

const azure: CloudPlanner = {
  resolve: resolveAzureGrants,
  identity(request) {
    const name = identityName(request.owner);
    const azureAccount = request.account.spec.azure;
    return {
      what: `managed identity ${name} in Azure resource group ${resourceGroupOf(request)}`,
      externalName: name,
      document: {
        managedIdentity: {
          name,
          subscription: azureAccount?.subscriptionId,
          resourceGroup: resourceGroupOf(request),
          location: azureAccount?.location,
          tags: identityTags(request),
        },
        federatedIdentityCredentials: federatedCredentials(request),
      },
      annotation: { key: SERVICE_ACCOUNT_ANNOTATION.azure, value: "(the managed identity's client id)" },
    };
  },
  grants(request) {
    const principal = request.identity.principal.principalId ?? "(the managed identity's principal id)";
    return {
      what: `role assignments for principal ${principal}`,
      document: {
        roleAssignments: request.grants.map((g) => ({
          principalId: principal,
          role: g.permissions[0],
          scope: g.scopes[0],
        })),
      },
      applied: request.grants.map((g) => ({
        resource: g.resource,
        summary: `${g.permissions[0]} at ${g.scopes[0]}`,
      })),
    };
  },
};

export const PLANNERS: Record<ProviderName, CloudPlanner> = { aws, gcp, azure };

/** The principal an identity will have, as far as it is known before the cloud creates it. */
export function plannedPrincipal(cloud: ProviderName, planned: PlannedIdentity): Principal {
  if (cloud === 'aws') {
    const arn = (planned.document.role as { arn: string }).arn;
    return { id: arn, roleArn: arn };
  }
  if (cloud === 'gcp') return { id: planned.externalName, email: planned.externalName };
  return {};
}
