import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { CloudAccount, IdentityBinding, WorkloadIdentity } from '../src/api/index.js';
import {
  type DesiredRole,
  desiredRole,
  inlinePolicy,
  inlinePolicyName,
  resolveAwsGrants,
} from '../src/providers/aws/mapping.js';
import { accountRequest, identityRequest, ownerOf } from '../src/reconcilers/requests.js';
import { awsClientConfig } from '../test/support/moto/aws.js';
import { asObject, HandOff } from './baseline.js';
import { awsCloudAccount, identityBinding, workloadIdentity } from './objects.js';

export interface MotoBaselineOptions {
  n: number;
  /** Workers for roles, and as many for their policies. */
  workers: number;
  /** moto's proxy: the baseline's calls are counted there, as the operator's are. */
  endpoint: string;
  issuerUrl: string;
  /** Names the roles: another cluster name than the operator's gives the baseline fresh roles. */
  cluster: string;
}

export interface MotoBaselineResult {
  n: number;
  objects: number;
  seconds: number;
  objectsPerSecond: number;
}

/**
 * The bare-SDK script Keyless is measured against on moto: per identity the IAM calls the AWS
 * provider makes on a first converge (GetRole, answered NoSuchEntity; CreateRole with the trust
 * policy, tags, description and session length), then per binding once its role exists (GetRolePolicy,
 * answered NoSuchEntity; ListRolePolicies; PutRolePolicy), with the requests built by the provider's
 * own mapping, on W workers per kind: one IAMClient, the SDK's default retries, no client-side limiter,
 * no Kubernetes.
 */
export async function runMotoBaseline(options: MotoBaselineOptions): Promise<MotoBaselineResult> {
  const iam = new IAMClient(awsClientConfig(options.endpoint));
  const account = asObject<CloudAccount>(awsCloudAccount(600_000, options.endpoint, options.issuerUrl));
  const accountReq = accountRequest(account);
  const created = new HandOff<{ i: number; identity: WorkloadIdentity; role: DesiredRole }>();
  let nextIdentity = 0;
  const roleWorker = async () => {
    while (nextIdentity < options.n) {
      const i = nextIdentity++;
      const identity = asObject<WorkloadIdentity>(workloadIdentity(i));
      const role = desiredRole(identityRequest(identity, account, options.cluster));
      if (!(await missing(iam.send(new GetRoleCommand({ RoleName: role.name }))))) {
        throw new Error(`role ${role.name} exists before the baseline made it`);
      }
      await iam.send(
        new CreateRoleCommand({
          RoleName: role.name,
          Path: role.path,
          AssumeRolePolicyDocument: JSON.stringify(role.trustPolicy),
          Tags: Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })),
          MaxSessionDuration: role.maxSessionSeconds,
          Description: role.description,
        }),
      );
      created.put({ i, identity, role });
    }
  };
  const policyWorker = async () => {
    for (let item = await created.take(); item; item = await created.take()) {
      const binding = asObject<IdentityBinding>(identityBinding(item.i));
      const policyName = inlinePolicyName(ownerOf(binding, options.cluster));
      const document = inlinePolicy(resolveAwsGrants(binding.spec.grants, accountReq), undefined);
      const RoleName = item.role.name;
      await missing(iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: policyName })));
      await iam.send(new ListRolePoliciesCommand({ RoleName }));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName,
          PolicyName: policyName,
          PolicyDocument: JSON.stringify(document),
        }),
      );
    }
  };
  const started = performance.now();
  try {
    const policies = Array.from({ length: options.workers }, policyWorker);
    await Promise.all(Array.from({ length: options.workers }, roleWorker));
    created.close();
    await Promise.all(policies);
  } finally {
    iam.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  return { n: options.n, objects: 2 * options.n, seconds, objectsPerSecond: (2 * options.n) / seconds };
}

/** True when the call answered NoSuchEntity (the thing is not there), false when it succeeded. */
async function missing(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return false;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return true;
    throw err;
  }
}
