import type { AccessLevel, ProviderName } from '../api/index.js';
import { CLOUD_COMPARISON, type NameComparison } from './cloud-comparison.js';

/** A pattern of the cloud's permission names, with why it counts at its level. */
interface LevelPattern {
  pattern: string;
  why: string;
}

/**
 * What a raw grant (AWS actions, a Google Cloud or Azure role) amounts to, for `maxAccess`: the
 * highest level of anything it could allow. Read patterns are checked first and must *contain*
 * the grant's pattern (a pattern is read only if everything it could match is); admin patterns
 * need only *overlap* it (a pattern is admin if anything it could match is). Anything else is write.
 */
export interface AccessLevelTable {
  read: LevelPattern[];
  admin: LevelPattern[];
}

const counting = (why: string, ...patterns: string[]) => patterns.map((pattern) => ({ pattern, why }));

export const ACCESS_LEVEL_TABLES: Record<ProviderName, AccessLevelTable> = {
  aws: {
    read: [
      ...counting(
        'reads',
        '*:Get*',
        '*:List*',
        '*:Describe*',
        '*:Head*',
        '*:BatchGet*',
        '*:Query',
        '*:Scan',
        '*:Search*',
        '*:Lookup*',
      ),
      // What the access catalogue calls read: consuming a queue, decrypting with a key.
      ...counting(
        'reads (as the access catalogue counts it)',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'kms:Decrypt',
        'dynamodb:ConditionCheckItem',
      ),
    ],
    admin: [
      ...counting(
        'manages permissions',
        '*:Put*Policy*',
        '*:Create*Policy*',
        '*:Delete*Policy*',
        '*:Attach*Policy*',
        '*:Detach*Policy*',
        '*:Set*Policy*',
        '*:Update*Policy*',
        '*:Add*Permission*',
        '*:Remove*Permission*',
        '*:Put*Acl*',
        '*:CreateGrant',
      ),
      { pattern: 'iam:*', why: 'changes identities and their permissions' },
      { pattern: 'organizations:*', why: 'changes the organization' },
      { pattern: 'sts:AssumeRole', why: 'acts as another role' },
    ],
  },
  gcp: {
    read: counting(
      'reads',
      'roles/viewer',
      'roles/browser',
      'roles/*.viewer',
      'roles/*Viewer',
      'roles/*.reader',
      'roles/*Reader',
      'roles/iam.securityReviewer',
      'roles/secretmanager.secretAccessor',
      'roles/pubsub.subscriber',
    ),
    admin: [
      ...counting(
        'administers',
        'roles/owner',
        'roles/*.admin',
        'roles/*Admin',
        'roles/*.owner',
        'roles/*Owner',
      ),
      ...counting(
        'is a custom role, whose permissions Keyless cannot see',
        'projects/*/roles/*',
        'organizations/*/roles/*',
      ),
    ],
  },
  azure: {
    read: counting('reads', 'Reader', '* Reader', '* Data Receiver', 'Key Vault Secrets User'),
    admin: counting('administers', 'Owner', '* Owner', '*Administrator*'),
  },
};

export interface AccessJudgement {
  level: AccessLevel;
  /** The permission that decided it, and why. */
  because: string;
}

const RANK: Record<AccessLevel, number> = { read: 0, write: 1, admin: 2 };

const judgements = new Map<string, AccessJudgement>();

/** The level of one permission (an AWS action pattern, a role); kept, as the same ones recur. */
export function permissionLevel(cloud: ProviderName, permission: string): AccessJudgement {
  const key = `${cloud}\u0000${permission}`;
  let judgement = judgements.get(key);
  if (!judgement) {
    judgement = judge(cloud, permission);
    if (judgements.size >= 10_000) judgements.clear();
    judgements.set(key, judgement);
  }
  return judgement;
}

function judge(cloud: ProviderName, permission: string): AccessJudgement {
  const comparison = CLOUD_COMPARISON[cloud];
  const table = ACCESS_LEVEL_TABLES[cloud];
  if (cloud === 'aws') {
    const actions = comparison.actions;
    if (actions.contains(permission, '*')) {
      return { level: 'admin', because: `${permission} is every action of every service` };
    }
    const [service] = permission.split(':', 1);
    if (actions.contains(permission, `${service}:*`)) {
      return { level: 'admin', because: `${permission} is every action of ${service}` };
    }
    return judged(permission, [permission], table, actions);
  }
  const { names, unknown } = comparison.roleNames(permission);
  if (unknown) {
    return {
      level: 'admin',
      because: `${permission} is a role definition Keyless does not know, so it cannot tell what it allows`,
    };
  }
  return judged(names.at(-1) ?? permission, names, table, comparison.roles);
}

function judged(
  shown: string,
  names: string[],
  table: AccessLevelTable,
  compare: NameComparison,
): AccessJudgement {
  const read = table.read.find((r) => names.some((n) => compare.contains(r.pattern, n)));
  if (read) return { level: 'read', because: `${shown} ${read.why}` };
  const admin = table.admin.find((a) => names.some((n) => compare.overlap(a.pattern, n)));
  if (admin) return { level: 'admin', because: `${shown} ${admin.why}` };
  return { level: 'write', because: `${shown} writes` };
}

/** The highest level among a grant's permissions; undefined when it names none. */
export function grantLevel(cloud: ProviderName, permissions: readonly string[]): AccessJudgement | undefined {
  let highest: AccessJudgement | undefined;
  for (const permission of permissions) {
    const judged = permissionLevel(cloud, permission);
    if (!highest || RANK[judged.level] > RANK[highest.level]) highest = judged;
  }
  return highest;
}

export function exceeds(level: AccessLevel, max: AccessLevel): boolean {
  return RANK[level] > RANK[max];
}
