import type { ProviderName } from '../api/index.js';
import { builtInRoleName, roleDefinitionGuid } from './azure-role-names.js';

/** The Azure action that edits who may become a managed identity. */
export const FEDERATED_CREDENTIAL_WRITE =
  'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write';

/**
 * Where a rule applies: anywhere, or only when the grant lands on a scope that reaches further
 * than one resource, or on the account's managed identities (`managed-identities`: the resource
 * group they live in, a subscription holding it, or a managed identity itself).
 */
export type RuleScope = 'anywhere' | 'wildcard-resource' | 'project' | 'subscription' | 'managed-identities';

/**
 * One grant Keyless refuses by default, because it would let a workload widen its own access.
 * Data, not code: the README's table is generated from this list (`npm run generate`).
 */
export interface EscalationRule {
  cloud: ProviderName;
  /**
   * The action (AWS) or role (Google Cloud, Azure) refused, as the cloud spells it. It is also the
   * rule's name: `guardrails.allowEscalation` lists it to allow such grants in one account.
   */
  refuses: string;
  /**
   * `overlap` (the default): a grant is refused when any action it could allow is this one
   * (`iam:*`, `iam:Pass*` and `IAM:passrole` all could allow `iam:PassRole`). `contains`: only a
   * grant that allows all of it (`*`, every action of every service).
   */
  match?: 'overlap' | 'contains';
  /**
   * Azure: set when `refuses` is an action rather than a role. The built-in roles that allow it; a
   * grant of one of them is refused where the rule applies.
   */
  carriedBy?: readonly string[];
  scope?: RuleScope;
  why: string;
}

export const SCOPE_WORDS: Record<RuleScope, string> = {
  anywhere: '',
  'wildcard-resource': 'on a resource with a wildcard',
  project: "on the project's IAM policy",
  subscription: 'at subscription scope',
  'managed-identities':
    "on the resource group of the account's managed identities, a subscription holding it, or a managed identity",
};

const aws = (refuses: string, why: string, extra: Partial<EscalationRule> = {}): EscalationRule => ({
  cloud: 'aws',
  refuses,
  why,
  ...extra,
});
const gcp = (refuses: string, why: string, scope: RuleScope = 'anywhere'): EscalationRule => ({
  cloud: 'gcp',
  refuses,
  why,
  scope,
});
const azure = (
  refuses: string,
  why: string,
  scope: RuleScope = 'anywhere',
  extra: Partial<EscalationRule> = {},
): EscalationRule => ({ cloud: 'azure', refuses, why, scope, ...extra });

export const ESCALATION_RULES: readonly EscalationRule[] = [
  aws('*', 'allows every action of every service, each escalation in this list included', {
    match: 'contains',
  }),
  aws(
    'iam:PassRole',
    'hands a role to a service the workload controls (EC2, Lambda, ECS…), which then acts with that role',
  ),
  aws('iam:CreatePolicy', 'writes new managed policies, ready to be attached to any identity'),
  aws(
    'iam:CreatePolicyVersion',
    'rewrites an existing managed policy, such as one on its own role, and can make it the default',
  ),
  aws('iam:SetDefaultPolicyVersion', 'switches a managed policy to another, possibly broader, version'),
  aws('iam:PutRolePolicy', "writes inline policies on roles, its own role's included"),
  aws('iam:PutUserPolicy', 'writes inline policies on IAM users'),
  aws('iam:PutGroupPolicy', 'writes inline policies on IAM groups'),
  aws('iam:AttachRolePolicy', 'attaches any managed policy (AdministratorAccess too) to roles'),
  aws('iam:AttachUserPolicy', 'attaches any managed policy to IAM users'),
  aws('iam:AttachGroupPolicy', 'attaches any managed policy to IAM groups'),
  aws('iam:UpdateAssumeRolePolicy', 'changes who may assume a role: the workload can let itself in'),
  aws('iam:PutRolePermissionsBoundary', 'replaces the boundary that caps what a role can do'),
  aws('iam:DeleteRolePermissionsBoundary', 'removes the boundary that caps what a role can do'),
  aws('iam:PutUserPermissionsBoundary', 'replaces the boundary that caps what an IAM user can do'),
  aws('iam:DeleteUserPermissionsBoundary', 'removes the boundary that caps what an IAM user can do'),
  aws('iam:CreateAccessKey', 'mints long-lived access keys for IAM users'),
  aws('iam:CreateLoginProfile', 'sets a console password for an IAM user, and signs in as that user'),
  aws('iam:UpdateLoginProfile', "changes an IAM user's console password, and signs in as that user"),
  aws('iam:AddUserToGroup', 'puts an IAM user into a group with more permissions'),
  aws('sts:AssumeRole', 'assumes any role whose trust policy lets this account in', {
    scope: 'wildcard-resource',
  }),
  aws('organizations:*', 'changes the organization: its accounts, policies and delegated administrators'),
  aws('kms:PutKeyPolicy', 'rewrites who may use and administer a KMS key'),
  aws('kms:CreateGrant', 'hands out the use of a KMS key (Decrypt too) to any principal, itself included'),

  gcp('roles/owner', "has full control, the project's IAM policy included"),
  gcp('roles/editor', 'writes to almost every service and runs workloads as any service account'),
  gcp('roles/iam.securityAdmin', 'sets IAM policies on the project and its resources'),
  gcp('roles/resourcemanager.projectIamAdmin', "sets the project's IAM policy: any role, to anyone"),
  gcp('roles/iam.roleAdmin', 'edits custom roles, one granted to the workload itself included'),
  gcp('roles/iam.denyAdmin', "removes deny policies, Keyless's own guardrail deny policy included"),
  gcp(
    'roles/iam.workloadIdentityPoolAdmin',
    'adds identity providers to the pools that trust this cluster, so other tokens can stand in for its workloads',
  ),
  gcp(
    'roles/iam.serviceAccountAdmin',
    'sets the IAM policy of every service account in the project, so it can impersonate any of them',
    'project',
  ),
  gcp(
    'roles/iam.serviceAccountTokenCreator',
    'mints access tokens as every service account in the project',
    'project',
  ),
  gcp(
    'roles/iam.serviceAccountOpenIdTokenCreator',
    'mints ID tokens as every service account in the project',
    'project',
  ),
  gcp('roles/iam.serviceAccountUser', 'runs workloads as every service account in the project', 'project'),
  gcp('roles/iam.serviceAccountKeyAdmin', 'creates keys for every service account in the project', 'project'),
  gcp(
    'roles/iam.workloadIdentityUser',
    'impersonates every service account in the project through workload identity',
    'project',
  ),

  azure('Owner', 'assigns any role at its scope, to itself too'),
  azure('User Access Administrator', 'assigns any role at its scope, to itself too'),
  azure('Role Based Access Control Administrator', 'assigns roles at its scope, to itself too'),
  azure(
    'Contributor',
    'manages every resource in the subscription: runs code as the managed identities attached to them',
    'subscription',
  ),
  azure(
    'Managed Identity Contributor',
    'adds federated credentials to managed identities, so tokens from another issuer can become them',
  ),
  azure(
    'Managed Identity Operator',
    'attaches managed identities to resources the workload controls, and then acts as them',
  ),
  azure(
    FEDERATED_CREDENTIAL_WRITE,
    "adds a federated credential to its own or another of the account's identities, so a token from any issuer it names becomes that identity",
    'managed-identities',
    { carriedBy: ['Owner', 'Contributor', 'Managed Identity Contributor'] },
  ),
];

/**
 * Roles whose permissions Keyless cannot see, so no rule on names can judge them: refused by
 * default, each allowed on its own when `guardrails.allowEscalation` names that very role.
 */
export interface OpaqueRoleRule {
  cloud: ProviderName;
  /** What messages call such a role. */
  noun: string;
  /** Which roles, for the README's table. */
  when: string;
  /** How `allowEscalation` names one, for the README's table. */
  allowedAs: string;
  /** What such a role could do that Keyless cannot rule out. */
  why: string;
  /** Whether a role (as a grant spells it) is one of them. */
  covers(role: string): boolean;
  /** Whether an `allowEscalation` entry names this very role. */
  names(entry: string, role: string): boolean;
}

const GCP_CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\/[^/]+$/;

export const OPAQUE_ROLE_RULES: readonly OpaqueRoleRule[] = [
  {
    cloud: 'gcp',
    noun: 'a custom role',
    when: 'a custom role (`projects/*/roles/*`, `organizations/*/roles/*`), anywhere',
    allowedAs: 'the role itself, e.g. `projects/P/roles/R`',
    why: "can hold any permission, the project's setIamPolicy included",
    covers: (role) => GCP_CUSTOM_ROLE.test(role),
    names: (entry, role) => entry === role,
  },
  {
    cloud: 'azure',
    noun: 'a role definition Keyless does not know',
    when: 'a role definition id (a GUID, or the full id) that is none of the built-in roles Keyless knows, anywhere',
    allowedAs: 'the GUID or the full id, in any case',
    why: 'can be a custom role holding any action, Microsoft.Authorization/roleAssignments/write included',
    covers: (role) => roleDefinitionGuid(role) !== undefined && builtInRoleName(role) === undefined,
    names: (entry, role) => {
      const guid = roleDefinitionGuid(entry);
      return guid !== undefined && guid === roleDefinitionGuid(role);
    },
  },
];
