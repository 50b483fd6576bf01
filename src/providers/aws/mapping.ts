import type { Grant } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import { IAM_ACTION_PATTERN } from '../../api/schema-helpers.js';
import awsCatalogue from '../../policy/catalogue/aws.json' with { type: 'json' };
import { type Catalogue, compileCatalogue, fillTemplate } from '../../policy/catalogue/catalogue.js';
import { parseDuration } from '../../policy/duration.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest, GrantRequest, IdentityRequest, Owner, ResolvedGrant } from '../provider.js';
import { deterministicName } from '../shared/naming.js';
import { ownerTags } from '../shared/ownership.js';
import { arnProblem, issuerHostPath, oidcProviderArn, parseArn, partitionOf, roleArn } from './arn.js';
import { checkLambdaFunctions } from './lambda-functions.js';
import { type PolicyDocument, policySize, type Statement } from './policy-document.js';

/** AWS's limits that Keyless checks itself (moto does not enforce them). */
export const AWS_LIMITS = {
  roleName: 64,
  policyName: 128,
  inlinePoliciesPerRole: 10_240,
  tags: 50,
  minSessionSeconds: 3_600,
  maxSessionSeconds: 43_200,
} as const;

export const STS_AUDIENCE = 'sts.amazonaws.com';
const NAME_CHARACTERS = /[^A-Za-z0-9+=,.@_-]/g;
const ACTION = new RegExp(IAM_ACTION_PATTERN);
const lookup = compileCatalogue(awsCatalogue as Catalogue);
const KNOWN_RESOURCES =
  'S3 bucket or objects, DynamoDB table, SQS queue, SNS topic, Secrets Manager secret, KMS key, Lambda function';

export type AwsAccount = NonNullable<AccountRequest['spec']['aws']>;

export function awsAccountOf(account: AccountRequest): AwsAccount {
  const aws = account.spec.aws;
  if (!aws) throw terminal(Reason.InvalidAccount, `CloudAccount ${account.name} has no spec.aws block`);
  return aws;
}

export function partition(account: AwsAccount): string {
  return partitionOf(account.region);
}

export function roleName(owner: Owner, account: AwsAccount): string {
  return deterministicName(owner, {
    prefix: account.roleNamePrefix ?? 'keyless',
    maxLength: AWS_LIMITS.roleName,
    invalid: NAME_CHARACTERS,
  });
}

export function rolePath(account: AwsAccount): string {
  return account.path ?? '/keyless/';
}

export function roleArnFor(owner: Owner, account: AwsAccount): string {
  return roleArn(partition(account), account.accountId, rolePath(account), roleName(owner, account));
}

/** The inline policy that holds one binding's grants. */
export function inlinePolicyName(bindingOwner: Owner): string {
  return deterministicName(bindingOwner, {
    prefix: 'keyless',
    maxLength: AWS_LIMITS.policyName,
    invalid: NAME_CHARACTERS,
  });
}

export function roleDescription(owner: Owner): string {
  return `Managed by Keyless for ${owner.cluster}/${owner.namespace}/${owner.name}`;
}

/** The cluster ARN EKS Pod Identity sends as the `eks-cluster-arn` session tag. */
export function eksClusterArn(
  aws: AwsAccount,
  cluster: { name: string; region?: string | undefined },
): string {
  const region = cluster.region ?? aws.region;
  return `arn:${partitionOf(region)}:eks:${region}:${aws.accountId}:cluster/${cluster.name}`;
}

/**
 * EKS Pod Identity assumes the role with session tags naming the cluster, namespace and
 * ServiceAccount of the pod; the conditions on them are what keep every other pod in the account
 * (and every other cluster) from using the role. So the session tags cannot be turned off.
 */
function podIdentityStatement(request: IdentityRequest, aws: AwsAccount): Statement {
  const cluster = aws.eksCluster;
  if (!cluster) {
    throw terminal(
      Reason.InvalidSpec,
      `spec.aws.podIdentity needs the EKS cluster's name in CloudAccount ${request.account.name} (spec.aws.eksCluster.name), so that only its pods can use the role`,
    );
  }
  const names = request.spec.subjects
    .flatMap((s) => (s.serviceAccount ? [s.serviceAccount.name] : []))
    .sort();
  return {
    Sid: 'EksPodIdentity',
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: {
      StringEquals: {
        'aws:SourceAccount': aws.accountId,
        'aws:RequestTag/eks-cluster-arn': eksClusterArn(aws, cluster),
        'aws:RequestTag/eks-cluster-name': cluster.name,
        'aws:RequestTag/kubernetes-namespace': request.owner.namespace,
        'aws:RequestTag/kubernetes-service-account': names.length === 1 ? (names[0] as string) : names,
      },
    },
  };
}

/** Who may assume the role, from the identity's subjects. */
export function trustPolicy(request: IdentityRequest): PolicyDocument {
  const aws = awsAccountOf(request.account);
  const issuer = issuerHostPath(aws.oidcProvider.issuerUrl);
  const serviceAccounts = request.spec.subjects.flatMap((s) =>
    s.serviceAccount ? [`system:serviceaccount:${request.owner.namespace}:${s.serviceAccount.name}`] : [],
  );
  const statements: Statement[] = [];
  if (serviceAccounts.length > 0) {
    statements.push({
      Sid: 'ServiceAccounts',
      Effect: 'Allow',
      Principal: { Federated: oidcProviderArn(partition(aws), aws.accountId, aws.oidcProvider.issuerUrl) },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${issuer}:sub`]:
            serviceAccounts.length === 1 ? (serviceAccounts[0] as string) : [...serviceAccounts].sort(),
          [`${issuer}:aud`]: STS_AUDIENCE,
        },
      },
    });
  }
  if (request.spec.aws?.podIdentity && serviceAccounts.length > 0) {
    statements.push(podIdentityStatement(request, aws));
  }
  for (const subject of request.spec.subjects) {
    const platform = subject.serverless?.platform;
    if (!platform) continue;
    if (platform !== 'AWSLambda') {
      throw terminal(
        Reason.InvalidSpec,
        `subject serverless.platform ${platform} cannot assume an AWS role; use AWSLambda`,
      );
    }
    if (!statements.some((s) => s.Sid === 'Lambda')) {
      statements.push({
        Sid: 'Lambda',
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: 'sts:AssumeRole',
      });
    }
  }
  return { Version: '2012-10-17', Statement: statements };
}

export function roleTags(request: IdentityRequest): Record<string, string> {
  const tags = { ...(request.spec.tags ?? {}), ...ownerTags(request.owner) };
  if (Object.keys(tags).length > AWS_LIMITS.tags) {
    throw terminal(
      Reason.InvalidSpec,
      `an IAM role takes at most ${AWS_LIMITS.tags} tags; spec.tags plus Keyless's 4 are ${Object.keys(tags).length}`,
    );
  }
  return tags;
}

/** The account's boundary wins over the identity's; a required boundary must be there. */
export function permissionsBoundary(request: IdentityRequest): string | undefined {
  const boundary =
    awsAccountOf(request.account).permissionsBoundaryArn ?? request.spec.aws?.permissionsBoundaryArn;
  if (!boundary && request.account.spec.guardrails?.requirePermissionsBoundary) {
    throw terminal(
      Reason.GuardrailViolation,
      `CloudAccount ${request.account.name} requires a permissions boundary: set spec.aws.permissionsBoundaryArn`,
    );
  }
  return boundary;
}

export function maxSessionSeconds(request: IdentityRequest): number {
  const seconds = Math.round(parseDuration(request.spec.maxSessionDuration ?? '1h') / 1000);
  if (seconds < AWS_LIMITS.minSessionSeconds || seconds > AWS_LIMITS.maxSessionSeconds) {
    throw terminal(
      Reason.InvalidSpec,
      `maxSessionDuration ${request.spec.maxSessionDuration} is outside what AWS allows for a role (1h to 12h)`,
    );
  }
  return seconds;
}

/** The role as Keyless wants it, checked against AWS's rules before any call. */
export interface DesiredRole {
  name: string;
  path: string;
  arn: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  permissionsBoundary: string | undefined;
  maxSessionSeconds: number;
  description: string;
}

export function desiredRole(request: IdentityRequest): DesiredRole {
  const aws = awsAccountOf(request.account);
  return {
    name: roleName(request.owner, aws),
    path: rolePath(aws),
    arn: roleArnFor(request.owner, aws),
    trustPolicy: trustPolicy(request),
    tags: roleTags(request),
    permissionsBoundary: permissionsBoundary(request),
    maxSessionSeconds: maxSessionSeconds(request),
    description: roleDescription(request.owner),
  };
}

/** Grants through the catalogue (access) or as given (actions), with every ARN and action checked. */
export function resolveAwsGrants(grants: Grant[], _account: AccountRequest): ResolvedGrant[] {
  return grants.map((grant, index) => {
    const name = `grant ${index} (${grant.resource})`;
    if (grant.role)
      throw terminal(Reason.InvalidGrant, `${name}: AWS grants use access or actions, not role`);
    if (grant.access) {
      const malformed = arnProblem(grant.resource);
      if (malformed)
        throw terminal(Reason.InvalidGrant, `${name}: the resource is not a well-formed ARN: ${malformed}`);
      const match = lookup(grant.resource);
      if (!match) throw terminal(Reason.InvalidGrant, `${name}: ${noCatalogueEntry(grant.resource)}`);
      return {
        resource: grant.resource,
        access: grant.access,
        permissions: [...match.entry.access[grant.access]],
        permissionKind: 'action',
        scopes: (match.entry.scopes ?? ['{resource}']).map((scope) => fillTemplate(scope, match.values)),
      };
    }
    const malformed = grant.resource === '*' ? undefined : arnProblem(grant.resource);
    if (malformed) {
      throw terminal(
        Reason.InvalidGrant,
        `${name}: the resource is neither * nor a well-formed ARN: ${malformed}`,
      );
    }
    const bad = (grant.actions ?? []).filter((a) => !ACTION.test(a));
    if (bad.length > 0)
      throw terminal(Reason.InvalidGrant, `${name}: ${bad.join(', ')} is not an IAM action (service:Action)`);
    return {
      resource: grant.resource,
      access: undefined,
      permissions: [...new Set(grant.actions ?? [])].sort(),
      permissionKind: 'action',
      scopes: [grant.resource],
    };
  });
}

/** Why a well-formed ARN has no catalogue entry: its service has none, or its resource part is off. */
function noCatalogueEntry(resource: string): string {
  const arn = parseArn(resource);
  const entries = (awsCatalogue as Catalogue).entries.filter(
    (e) => catalogueService(e.match) === arn?.service,
  );
  if (entries.length === 0) {
    return `no access catalogue entry for ${arn?.service} resources (the catalogue knows: ${KNOWN_RESOURCES}); use actions`;
  }
  return (
    `the ${arn?.service} ARN's resource part "${arn?.resource}" fits none of the catalogue's ${arn?.service} entries ` +
    `(${entries.map((e) => e.description).join('; ')}); check the name, or use actions`
  );
}

/** The service an AWS catalogue entry's pattern names (`^arn:aws[a-z-]*:SERVICE:...`). */
export function catalogueService(match: string): string | undefined {
  return /^\^arn:aws\[a-z-\]\*:([a-z0-9-]+):/.exec(match)?.[1];
}

/** One statement per grant; a temporary grant is also bounded by aws:CurrentTime. */
export function inlinePolicy(grants: ResolvedGrant[], expiresAt: Date | undefined): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: grants.map((grant, index) => ({
      Sid: `Grant${grant.position ?? index}`,
      Effect: 'Allow',
      Action: grant.permissions,
      Resource: grant.scopes,
      ...(expiresAt
        ? {
            Condition: {
              DateLessThan: { 'aws:CurrentTime': expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
            },
          }
        : {}),
    })),
  };
}

/**
 * IAM allows 10,240 characters of inline policy per role, all bindings together. Names the first
 * grant that no longer fits next to the role's other inline policies.
 */
export function checkInlinePolicySize(request: GrantRequest, othersSize: number): void {
  const room = AWS_LIMITS.inlinePoliciesPerRole - othersSize;
  const full = inlinePolicy(request.grants, request.expiresAt);
  if (policySize(full) <= room) return;
  const firstOver = request.grants.findIndex(
    (_, i) => policySize(inlinePolicy(request.grants.slice(0, i + 1), request.expiresAt)) > room,
  );
  const grant = request.grants[Math.max(firstOver, 0)];
  throw terminal(
    Reason.PolicyTooLarge,
    `grant ${Math.max(firstOver, 0)} (${grant?.resource}) does not fit: the role's inline policies would total ` +
      `${policySize(full) + othersSize} characters (this binding ${policySize(full)}, the role's other bindings ` +
      `${othersSize}), over AWS's limit of ${AWS_LIMITS.inlinePoliciesPerRole}`,
  );
}

export function grantSummary(grant: ResolvedGrant): string {
  return grant.permissions.join(',');
}

/** Everything about the role that AWS would refuse, checked before any call (see desiredRole). */
export function validateAwsIdentity(request: IdentityRequest): void {
  desiredRole(request);
  checkLambdaFunctions(request, awsAccountOf(request.account));
}
