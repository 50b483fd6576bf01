import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  type Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { classifyAwsError, isNoSuchEntity } from './errors.js';
import type { PolicyDocument } from './policy-document.js';

export interface AwsClientOptions {
  region: string;
  endpoint: string | undefined;
  /** Undefined: the SDK's default chain (IRSA, Pod Identity, environment, instance profile). */
  credentials: AwsCredentialIdentityProvider | undefined;
  /** Shared by every call to this account; paused when AWS throttles. */
  limiter: AccountLimiter;
}

export interface RoleInput {
  name: string;
  path: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  permissionsBoundary: string | undefined;
  maxSessionSeconds: number;
  description: string;
}

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/**
 * IAM and STS calls for one account, and nothing else: every call waits for the account's rate
 * limiter, and every failure leaves here classified (a CloudError). Keyless owns retries, so the
 * SDK makes one attempt.
 */
export class AwsClient {
  private readonly iam: IAMClient;
  private readonly sts: STSClient;
  private readonly call: CloudCalls['call'];
  private readonly optional: CloudCalls['optional'];

  constructor(options: AwsClientOptions) {
    ({ call: this.call, optional: this.optional } = cloudCalls(
      options.limiter,
      classifyAwsError,
      isNoSuchEntity,
    ));
    const common = {
      region: options.region,
      maxAttempts: 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.iam = new IAMClient(common);
    this.sts = new STSClient(common);
  }

  getCallerIdentity() {
    return this.call('GetCallerIdentity', () => this.sts.send(new GetCallerIdentityCommand({})));
  }

  async getOidcProvider(arn: string) {
    return this.optional('GetOpenIDConnectProvider', () =>
      this.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
    );
  }

  createOidcProvider(url: string, clientIds: string[], tags: Record<string, string>) {
    return this.call('CreateOpenIDConnectProvider', () =>
      this.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: clientIds, Tags: tagList(tags) }),
      ),
    );
  }

  addOidcClientId(arn: string, clientId: string) {
    return this.call('AddClientIDToOpenIDConnectProvider', () =>
      this.iam.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: clientId }),
      ),
    );
  }

  async getRole(name: string): Promise<Role | undefined> {
    const out = await this.optional('GetRole', () => this.iam.send(new GetRoleCommand({ RoleName: name })));
    return out?.Role;
  }

  async createRole(role: RoleInput): Promise<Role> {
    const out = await this.call('CreateRole', () =>
      this.iam.send(
        new CreateRoleCommand({
          RoleName: role.name,
          Path: role.path,
          AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
          Tags: tagList(role.tags),
          MaxSessionDuration: role.maxSessionSeconds,
          Description: role.description,
          ...(role.permissionsBoundary ? { PermissionsBoundary: role.permissionsBoundary } : {}),
        }),
      ),
    );
    if (!out.Role) throw new Error(`CreateRole ${role.name}: the response has no Role`);
    return out.Role;
  }

  updateTrustPolicy(name: string, trustPolicy: PolicyDocument) {
    return this.call('UpdateAssumeRolePolicy', () =>
      this.iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trustPolicy) }),
      ),
    );
  }

  tagRole(name: string, tags: Record<string, string>) {
    return this.call('TagRole', () =>
      this.iam.send(new TagRoleCommand({ RoleName: name, Tags: tagList(tags) })),
    );
  }

  putPermissionsBoundary(name: string, arn: string) {
    return this.call('PutRolePermissionsBoundary', () =>
      this.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: arn })),
    );
  }

  deletePermissionsBoundary(name: string) {
    return this.call('DeleteRolePermissionsBoundary', () =>
      this.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name })),
    );
  }

  updateRole(name: string, maxSessionSeconds: number, description: string) {
    return this.call('UpdateRole', () =>
      this.iam.send(
        new UpdateRoleCommand({
          RoleName: name,
          MaxSessionDuration: maxSessionSeconds,
          Description: description,
        }),
      ),
    );
  }

  async deleteRole(name: string): Promise<void> {
    await this.optional('DeleteRole', () => this.iam.send(new DeleteRoleCommand({ RoleName: name })));
  }

  async listRolePolicyNames(role: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call('ListRolePolicies', () =>
        this.iam.send(new ListRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) })),
      );
      names.push(...(page.PolicyNames ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return names;
  }

  async listAttachedPolicyArns(role: string): Promise<string[]> {
    const arns: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call('ListAttachedRolePolicies', () =>
        this.iam.send(
          new ListAttachedRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) }),
        ),
      );
      arns.push(...(page.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return arns;
  }

  detachRolePolicy(role: string, policyArn: string) {
    return this.call('DetachRolePolicy', () =>
      this.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
    );
  }

  /** The policy document as IAM returns it (URL-encoded), or undefined when it (or the role) is missing. */
  async getRolePolicy(role: string, policyName: string): Promise<string | undefined> {
    const out = await this.optional('GetRolePolicy', () =>
      this.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName })),
    );
    return out?.PolicyDocument;
  }

  putRolePolicy(role: string, policyName: string, document: PolicyDocument) {
    return this.call('PutRolePolicy', () =>
      this.iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: policyName,
          PolicyDocument: JSON.stringify(document),
        }),
      ),
    );
  }

  async deleteRolePolicy(role: string, policyName: string): Promise<void> {
    await this.optional('DeleteRolePolicy', () =>
      this.iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policyName })),
    );
  }
}
