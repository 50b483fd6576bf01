import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GenerateServiceLastAccessedDetailsCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetServiceLastAccessedDetailsCommand,
  type GetServiceLastAccessedDetailsResponse,
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
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Context } from '../../runtime/context.js';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { classifyAwsError, classifyUsageError, isNoSuchEntity, isResourceNotFound } from './errors.js';
import { functionRegion } from './lambda-functions.js';
import type { PolicyDocument } from './policy-document.js';

export interface AwsClientOptions {
  region: string;
  endpoint: string | undefined;
  /** Undefined: the SDK's default chain (IRSA, Pod Identity, environment, instance profile). */
  credentials: AwsCredentialIdentityProvider | undefined;
  /** Shared by every call to this account; slowed when AWS throttles (adaptively, as the SDK's adaptive retry mode does). */
  limiter: AccountLimiter;
  callTimeoutMs: number;
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
 * limiter, and every failure leaves here classified (a ClassifiedError). Keyless owns retries, so the
 * SDK makes one attempt.
 */
export class AwsClient {
  private readonly iam: IAMClient;
  private readonly sts: STSClient;
  private readonly call: CloudCalls['call'];
  private readonly optional: CloudCalls['optional'];
  /** The usage review's calls, whose refusals name the review's permissions (classifyUsageError). */
  private readonly usageCall: CloudCalls['call'];
  /** Lambda's calls, whose missing thing is a function (ResourceNotFoundException). */
  private readonly lambdaOptional: CloudCalls['optional'];
  /**
   * Lambda is regional: one client per function region, made on first use. The SDK itself is
   * loaded then too, so an operator whose identities name no function does not hold it in memory.
   */
  private readonly lambdas = new Map<string, LambdaClient>();
  private lambdaSdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;
  private readonly lambdaConfig: Omit<AwsClientOptions, 'limiter' | 'callTimeoutMs' | 'region'>;

  constructor(options: AwsClientOptions) {
    ({ call: this.call, optional: this.optional } = cloudCalls(
      options.limiter,
      classifyAwsError,
      isNoSuchEntity,
      options.callTimeoutMs,
    ));
    ({ call: this.usageCall } = cloudCalls(
      options.limiter,
      classifyUsageError,
      isNoSuchEntity,
      options.callTimeoutMs,
    ));
    ({ optional: this.lambdaOptional } = cloudCalls(
      options.limiter,
      classifyAwsError,
      isResourceNotFound,
      options.callTimeoutMs,
    ));
    this.lambdaConfig = { endpoint: options.endpoint, credentials: options.credentials };
    const common = {
      region: options.region,
      maxAttempts: 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.iam = new IAMClient(common);
    this.sts = new STSClient(common);
  }

  private async lambdaFor(functionArn: string) {
    this.lambdaSdk ??= import('@aws-sdk/client-lambda');
    const sdk = await this.lambdaSdk;
    const region = functionRegion(functionArn);
    let client = this.lambdas.get(region);
    if (!client) {
      client = new sdk.LambdaClient({
        region,
        maxAttempts: 1,
        ...(this.lambdaConfig.endpoint ? { endpoint: this.lambdaConfig.endpoint } : {}),
        ...(this.lambdaConfig.credentials ? { credentials: this.lambdaConfig.credentials } : {}),
      });
      this.lambdas.set(region, client);
    }
    return { client, sdk };
  }

  /** The function's execution role; undefined when the function does not exist. */
  async getFunctionRole(ctx: Context, functionArn: string): Promise<{ role: string } | undefined> {
    const { client, sdk } = await this.lambdaFor(functionArn);
    const out = await this.lambdaOptional(ctx, 'GetFunctionConfiguration', (abortSignal) =>
      client.send(new sdk.GetFunctionConfigurationCommand({ FunctionName: functionArn }), { abortSignal }),
    );
    return out ? { role: out.Role ?? '' } : undefined;
  }

  /** Sets the function's execution role; false when the function does not exist. */
  async setFunctionRole(ctx: Context, functionArn: string, roleArn: string): Promise<boolean> {
    const { client, sdk } = await this.lambdaFor(functionArn);
    const out = await this.lambdaOptional(ctx, 'UpdateFunctionConfiguration', (abortSignal) =>
      client.send(new sdk.UpdateFunctionConfigurationCommand({ FunctionName: functionArn, Role: roleArn }), {
        abortSignal,
      }),
    );
    return out !== undefined;
  }

  getCallerIdentity(ctx: Context) {
    return this.call(ctx, 'GetCallerIdentity', (abortSignal) =>
      this.sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
    );
  }

  async getOidcProvider(ctx: Context, arn: string) {
    return this.optional(ctx, 'GetOpenIDConnectProvider', (abortSignal) =>
      this.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }), { abortSignal }),
    );
  }

  createOidcProvider(ctx: Context, url: string, clientIds: string[], tags: Record<string, string>) {
    return this.call(ctx, 'CreateOpenIDConnectProvider', (abortSignal) =>
      this.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: clientIds, Tags: tagList(tags) }),
        { abortSignal },
      ),
    );
  }

  addOidcClientId(ctx: Context, arn: string, clientId: string) {
    return this.call(ctx, 'AddClientIDToOpenIDConnectProvider', (abortSignal) =>
      this.iam.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: clientId }),
        { abortSignal },
      ),
    );
  }

  async getRole(ctx: Context, name: string): Promise<Role | undefined> {
    const out = await this.optional(ctx, 'GetRole', (abortSignal) =>
      this.iam.send(new GetRoleCommand({ RoleName: name }), { abortSignal }),
    );
    return out?.Role;
  }

  /** The role, for its RoleLastUsed, read by the usage review (its refusal names iam:GetRole). */
  async getRoleForUsage(ctx: Context, name: string): Promise<Role | undefined> {
    const out = await this.usageCall(ctx, 'GetRole', (abortSignal) =>
      this.iam.send(new GetRoleCommand({ RoleName: name }), { abortSignal }),
    );
    return out.Role;
  }

  /** Starts IAM's service-last-accessed report for `arn`, per action where IAM tracks actions; its job id. */
  async generateServiceLastAccessed(ctx: Context, arn: string): Promise<string> {
    const out = await this.usageCall(ctx, 'GenerateServiceLastAccessedDetails', (abortSignal) =>
      this.iam.send(
        new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'ACTION_LEVEL' }),
        {
          abortSignal,
        },
      ),
    );
    if (!out.JobId) throw new Error(`GenerateServiceLastAccessedDetails ${arn}: the response has no JobId`);
    return out.JobId;
  }

  /** One page of the report (`marker` from the previous page); JobStatus says whether it is done. */
  getServiceLastAccessedPage(
    ctx: Context,
    jobId: string,
    marker: string | undefined,
  ): Promise<GetServiceLastAccessedDetailsResponse> {
    return this.usageCall(ctx, 'GetServiceLastAccessedDetails', (abortSignal) =>
      this.iam.send(
        new GetServiceLastAccessedDetailsCommand({ JobId: jobId, ...(marker ? { Marker: marker } : {}) }),
        { abortSignal },
      ),
    );
  }

  async createRole(ctx: Context, role: RoleInput): Promise<Role> {
    const out = await this.call(ctx, 'CreateRole', (abortSignal) =>
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
        { abortSignal },
      ),
    );
    if (!out.Role) throw new Error(`CreateRole ${role.name}: the response has no Role`);
    return out.Role;
  }

  updateTrustPolicy(ctx: Context, name: string, trustPolicy: PolicyDocument) {
    return this.call(ctx, 'UpdateAssumeRolePolicy', (abortSignal) =>
      this.iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trustPolicy) }),
        { abortSignal },
      ),
    );
  }

  tagRole(ctx: Context, name: string, tags: Record<string, string>) {
    return this.call(ctx, 'TagRole', (abortSignal) =>
      this.iam.send(new TagRoleCommand({ RoleName: name, Tags: tagList(tags) }), { abortSignal }),
    );
  }

  putPermissionsBoundary(ctx: Context, name: string, arn: string) {
    return this.call(ctx, 'PutRolePermissionsBoundary', (abortSignal) =>
      this.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: arn }), {
        abortSignal,
      }),
    );
  }

  deletePermissionsBoundary(ctx: Context, name: string) {
    return this.call(ctx, 'DeleteRolePermissionsBoundary', (abortSignal) =>
      this.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }), { abortSignal }),
    );
  }

  updateRole(ctx: Context, name: string, maxSessionSeconds: number, description: string) {
    return this.call(ctx, 'UpdateRole', (abortSignal) =>
      this.iam.send(
        new UpdateRoleCommand({
          RoleName: name,
          MaxSessionDuration: maxSessionSeconds,
          Description: description,
        }),
        { abortSignal },
      ),
    );
  }

  async deleteRole(ctx: Context, name: string): Promise<void> {
    await this.optional(ctx, 'DeleteRole', (abortSignal) =>
      this.iam.send(new DeleteRoleCommand({ RoleName: name }), { abortSignal }),
    );
  }

  /** The role's inline policy names; undefined when the role does not exist. */
  async listRolePolicyNames(ctx: Context, role: string): Promise<string[] | undefined> {
    return this.listAll(ctx, 'ListRolePolicies', async (marker, abortSignal) => {
      const page = await this.iam.send(
        new ListRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) }),
        { abortSignal },
      );
      return { items: page.PolicyNames ?? [], next: page.IsTruncated ? page.Marker : undefined };
    });
  }

  /** The ARNs of the managed policies attached to the role; undefined when the role does not exist. */
  async listAttachedPolicyArns(ctx: Context, role: string): Promise<string[] | undefined> {
    return this.listAll(ctx, 'ListAttachedRolePolicies', async (marker, abortSignal) => {
      const page = await this.iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) }),
        { abortSignal },
      );
      const items = (page.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : []));
      return { items, next: page.IsTruncated ? page.Marker : undefined };
    });
  }

  /** Every page of a list, one limited call each; undefined when the listed-on entity is missing. */
  private async listAll(
    ctx: Context,
    operation: string,
    page: (marker: string | undefined, signal: AbortSignal) => Promise<{ items: string[]; next?: string }>,
  ): Promise<string[] | undefined> {
    const all: string[] = [];
    let marker: string | undefined;
    do {
      const current = marker;
      const result = await this.optional(ctx, operation, (signal) => page(current, signal));
      if (!result) return undefined;
      all.push(...result.items);
      marker = result.next;
    } while (marker);
    return all;
  }

  detachRolePolicy(ctx: Context, role: string, policyArn: string) {
    return this.call(ctx, 'DetachRolePolicy', (abortSignal) =>
      this.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }), { abortSignal }),
    );
  }

  /** The policy document as IAM returns it (URL-encoded), or undefined when it (or the role) is missing. */
  async getRolePolicy(ctx: Context, role: string, policyName: string): Promise<string | undefined> {
    const out = await this.optional(ctx, 'GetRolePolicy', (abortSignal) =>
      this.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName }), { abortSignal }),
    );
    return out?.PolicyDocument;
  }

  putRolePolicy(ctx: Context, role: string, policyName: string, document: PolicyDocument) {
    return this.call(ctx, 'PutRolePolicy', (abortSignal) =>
      this.iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: policyName,
          PolicyDocument: JSON.stringify(document),
        }),
        { abortSignal },
      ),
    );
  }

  async deleteRolePolicy(ctx: Context, role: string, policyName: string): Promise<void> {
    await this.optional(ctx, 'DeleteRolePolicy', (abortSignal) =>
      this.iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policyName }), { abortSignal }),
    );
  }
}
