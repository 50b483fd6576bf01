/**
 * IAM v2 deny policies (`google.iam.v2.Policy` of kind `DenyPolicy`): names and attachment points,
 * validation of what a caller writes, and the JSON IAM answers with. Pure functions over plain data.
 */
import { invalidArgument } from './errors.js';
import { timestamp } from './ids.js';
import { fields, type JsonObject, objectList, optionalString, stringList, stringMap } from './json.js';

export interface DenyCondition {
  readonly expression: string;
  readonly title?: string;
  readonly description?: string;
  readonly location?: string;
}

export interface DenyRule {
  readonly deniedPrincipals: readonly string[];
  readonly exceptionPrincipals?: readonly string[];
  readonly deniedPermissions: readonly string[];
  readonly exceptionPermissions?: readonly string[];
  readonly denialCondition?: DenyCondition;
}

export interface DenyPolicyRule {
  readonly description?: string;
  readonly denyRule: DenyRule;
}

/** What a caller writes (create, update, or the test API). */
export interface DenyPolicyInput {
  readonly displayName?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly rules: readonly DenyPolicyRule[];
}

/** A deny policy as the fake keeps it (and as tests read it). */
export interface DenyPolicy {
  /** `policies/cloudresourcemanager.googleapis.com%2Fprojects%2FPROJECT_NUMBER/denypolicies/ID`. */
  readonly name: string;
  readonly policyId: string;
  readonly uid: string;
  readonly displayName: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly etag: string;
  readonly createTime: number;
  readonly updateTime: number;
  readonly rules: readonly DenyPolicyRule[];
}

export const MAX_RULES = 500;
const POLICY_ID = /^[a-z][a-z0-9.-]{2,62}$/;
const PRINCIPAL = /^(deleted:)?principal(Set)?:\/\/\S+$/;
const PUBLIC = 'principalSet://goog/public:all';
/** `{service_fqdn}/{resource}.{verb}`, wildcards allowed: `iam.googleapis.com/roles.*`. */
const PERMISSION = /^[a-z0-9*-]+(\.[a-z0-9-]+)*\/[A-Za-z0-9*_]+(\.[A-Za-z0-9*_]+)*$/;

/** The attachment point of a project, as it appears in names (once URL-encoded). */
export const projectAttachment = (projectNumber: string): string =>
  `cloudresourcemanager.googleapis.com%2Fprojects%2F${projectNumber}`;

export const denyPolicyName = (projectNumber: string, policyId: string): string =>
  `policies/${projectAttachment(projectNumber)}/denypolicies/${policyId}`;

/**
 * The project an attachment point names (ID or number), from the path segment as decoded once:
 * `cloudresourcemanager.googleapis.com%2Fprojects%2Fmy-project`. A segment sent encoded only once
 * (already `/`) is accepted too. Folders and organizations are not implemented.
 */
export function attachedProject(segment: string): string {
  let attachment = segment;
  try {
    if (segment.includes('%')) attachment = decodeURIComponent(segment);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    throw invalidArgument(`Invalid attachment point '${segment}': malformed percent-encoding.`);
  }
  const match = /^cloudresourcemanager\.googleapis\.com\/projects\/([^/]+)$/.exec(attachment);
  if (!match?.[1]) {
    throw invalidArgument(
      `Invalid attachment point '${attachment}': the fake implements projects only ` +
        '(cloudresourcemanager.googleapis.com/projects/PROJECT_ID_OR_NUMBER).',
    );
  }
  return match[1];
}

export function checkPolicyId(policyId: string | null): string {
  if (!policyId) throw invalidArgument('Request is missing the required field "policy_id".');
  if (!POLICY_ID.test(policyId)) {
    throw invalidArgument(
      `Invalid policy_id '${policyId}': it must have 3 to 63 characters, lowercase letters, digits, ` +
        "'-' and '.', and start with a lowercase letter.",
    );
  }
  return policyId;
}

function parseCondition(value: unknown, where: string): DenyCondition | undefined {
  if (value === undefined || value === null) return undefined;
  const condition = fields(value, where, ['expression', 'title', 'description', 'location']);
  const expression = optionalString(condition, 'expression', where) ?? '';
  if (expression.trim() === '') throw invalidArgument(`${where}.expression must not be empty.`);
  const title = optionalString(condition, 'title', where);
  const description = optionalString(condition, 'description', where);
  const location = optionalString(condition, 'location', where);
  return {
    expression,
    ...(title ? { title } : {}),
    ...(description ? { description } : {}),
    ...(location ? { location } : {}),
  };
}

function checkPrincipals(principals: readonly string[], where: string, exception: boolean): void {
  for (const principal of principals) {
    if (!PRINCIPAL.test(principal)) {
      throw invalidArgument(
        `Invalid principal '${principal}' in ${where}: expected principal://... or principalSet://...`,
      );
    }
    if (exception && principal === PUBLIC) throw invalidArgument(`${where} cannot contain ${PUBLIC}.`);
  }
}

function checkPermissions(permissions: readonly string[], where: string): void {
  for (const permission of permissions) {
    if (!PERMISSION.test(permission)) {
      throw invalidArgument(
        `Invalid permission '${permission}' in ${where}: expected {service_fqdn}/{resource}.{verb}, e.g. iam.googleapis.com/roles.list.`,
      );
    }
  }
}

function parseRule(value: unknown, where: string): DenyPolicyRule {
  const rule = fields(value, where, ['description', 'denyRule']);
  const description = optionalString(rule, 'description', where);
  if (description && description.length > 256)
    throw invalidArgument(`${where}.description is longer than 256 characters.`);
  if (rule.denyRule === undefined || rule.denyRule === null)
    throw invalidArgument(`${where} has no deny_rule.`);
  const at = `${where}.denyRule`;
  const deny = fields(rule.denyRule, at, [
    'deniedPrincipals',
    'exceptionPrincipals',
    'deniedPermissions',
    'exceptionPermissions',
    'denialCondition',
  ]);
  const deniedPrincipals = stringList(deny, 'deniedPrincipals', at);
  const exceptionPrincipals = stringList(deny, 'exceptionPrincipals', at);
  const deniedPermissions = stringList(deny, 'deniedPermissions', at);
  const exceptionPermissions = stringList(deny, 'exceptionPermissions', at);
  if (deniedPrincipals.length === 0) throw invalidArgument(`${at}.denied_principals must not be empty.`);
  if (deniedPermissions.length === 0) throw invalidArgument(`${at}.denied_permissions must not be empty.`);
  checkPrincipals(deniedPrincipals, `${at}.denied_principals`, false);
  checkPrincipals(exceptionPrincipals, `${at}.exception_principals`, true);
  checkPermissions(deniedPermissions, `${at}.denied_permissions`);
  checkPermissions(exceptionPermissions, `${at}.exception_permissions`);
  const denialCondition = parseCondition(deny.denialCondition, `${at}.denialCondition`);
  return {
    ...(description ? { description } : {}),
    denyRule: {
      deniedPrincipals,
      ...(exceptionPrincipals.length > 0 ? { exceptionPrincipals } : {}),
      deniedPermissions,
      ...(exceptionPermissions.length > 0 ? { exceptionPermissions } : {}),
      ...(denialCondition ? { denialCondition } : {}),
    },
  };
}

export interface ParsedDenyPolicy extends DenyPolicyInput {
  readonly etag?: string;
}

const POLICY_FIELDS = [
  'name',
  'uid',
  'kind',
  'displayName',
  'annotations',
  'etag',
  'createTime',
  'updateTime',
  'deleteTime',
  'rules',
  'managingAuthority',
];

/** A policy from a create or update body (output-only fields are accepted and ignored, as IAM does). */
export function parseDenyPolicy(body: JsonObject, where = 'policy'): ParsedDenyPolicy {
  const policy = fields(body, where, POLICY_FIELDS);
  const kind = optionalString(policy, 'kind', where);
  if (kind && kind !== 'DenyPolicy')
    throw invalidArgument(`Invalid kind '${kind}': only DenyPolicy is supported.`);
  const displayName = optionalString(policy, 'displayName', where);
  if (displayName && displayName.length > 63)
    throw invalidArgument('display_name is longer than 63 characters.');
  const annotations = stringMap(policy, 'annotations', where);
  for (const [key, value] of Object.entries(annotations)) {
    if (key.length > 63 || value.length > 255) {
      throw invalidArgument(`Annotation '${key}': keys can be up to 63 characters, values up to 255.`);
    }
  }
  const rules = objectList(policy, 'rules', where).map((rule, index) =>
    parseRule(rule, `${where}.rules[${index}]`),
  );
  if (rules.length > MAX_RULES) throw invalidArgument(`A deny policy can have at most ${MAX_RULES} rules.`);
  const etag = optionalString(policy, 'etag', where);
  return {
    rules,
    annotations,
    ...(displayName ? { displayName } : {}),
    ...(etag ? { etag } : {}),
  };
}

export interface DenyPolicyJsonOptions {
  /** ListPolicies answers with metadata only: no rules. */
  readonly withRules: boolean;
  /** Set on the policy a DeletePolicy operation returns. */
  readonly deleteTime?: number;
}

export function denyPolicyJson(policy: DenyPolicy, options: DenyPolicyJsonOptions): JsonObject {
  return {
    name: policy.name,
    uid: policy.uid,
    kind: 'DenyPolicy',
    ...(policy.displayName ? { displayName: policy.displayName } : {}),
    ...(Object.keys(policy.annotations).length > 0 ? { annotations: policy.annotations } : {}),
    etag: policy.etag,
    createTime: timestamp(policy.createTime),
    updateTime: timestamp(policy.updateTime),
    ...(options.deleteTime !== undefined ? { deleteTime: timestamp(options.deleteTime) } : {}),
    ...(options.withRules && policy.rules.length > 0 ? { rules: policy.rules } : {}),
  };
}

/**
 * After a service account is deleted, deny rules name it as
 * `deleted:principal://iam.googleapis.com/projects/-/serviceAccounts/EMAIL?uid=UNIQUE_ID`.
 */
export function markPrincipalDeleted(policy: DenyPolicy, email: string, uniqueId: string): DenyPolicy {
  const principal = `principal://iam.googleapis.com/projects/-/serviceAccounts/${email}`;
  const replace = (list: readonly string[] | undefined): string[] | undefined =>
    list?.map((item) => (item === principal ? `deleted:${principal}?uid=${uniqueId}` : item));
  if (
    !policy.rules.some(({ denyRule }) =>
      [...denyRule.deniedPrincipals, ...(denyRule.exceptionPrincipals ?? [])].includes(principal),
    )
  ) {
    return policy;
  }
  return {
    ...policy,
    rules: policy.rules.map((rule) => {
      const exceptionPrincipals = replace(rule.denyRule.exceptionPrincipals);
      return {
        ...rule,
        denyRule: {
          ...rule.denyRule,
          deniedPrincipals: replace(rule.denyRule.deniedPrincipals) ?? [],
          ...(exceptionPrincipals ? { exceptionPrincipals } : {}),
        },
      };
    }),
  };
}
