import type { ProviderName } from '../api/index.js';
import { ACTION_SYNTAX, actionsContain, actionsOverlap } from './aws-actions.js';
import { parseAzureResourceId } from './azure-resource-ids.js';
import { builtInRoleName, roleDefinitionGuid } from './azure-role-names.js';
import { resourceNameShapeProblem } from './gcp-resource-names.js';
import { contains, overlap, type PatternSyntax } from './patterns.js';
import { mayReadOtherwise } from './resource-paths.js';

/** How one cloud compares two names of one kind (actions, roles), patterns allowed on both sides. */
export interface NameComparison {
  /** Some concrete name matches both. */
  overlap(a: string, b: string): boolean;
  /** Every concrete name `inner` matches, `outer` matches too. */
  contains(outer: string, inner: string): boolean;
  /** The same name, as the cloud spells names (without case where it ignores case). */
  same(a: string, b: string): boolean;
}

/** How one cloud compares the names in a grant with the names in a rule. */
export interface CloudComparison {
  /** AWS: IAM compares actions without case, part by part, and `?` matches one character. */
  actions: NameComparison;
  /** Google Cloud role names are exact; Azure's compare without case. */
  roles: NameComparison;
  /** AWS ARNs and Google Cloud names are exact (IAM resource patterns also know `?`); Azure IDs are not. */
  resources: PatternSyntax;
  /**
   * The names a role goes by: Azure accepts a built-in role's definition id for its name, so both
   * are compared. Unknown: an Azure definition id Keyless cannot name.
   */
  roleNames(role: string): { names: string[]; unknown: boolean };
  /**
   * What keeps the cloud from reading a resource identifier (a grant's resource or scope) as
   * written; undefined when it reads it so. AWS compares ARNs as text; Azure and Google Cloud read
   * theirs as URL paths (see resource-paths.ts).
   */
  identifierProblem(id: string): string | undefined;
  /** What the cloud calls its identifiers, for messages. */
  identifierNoun: string;
}

/**
 * Answers kept per pair of names: every binding of an account asks about the same catalogue
 * actions and the same rules, so a reconcile mostly finds its answers here. Bounded: past the
 * limit the cache starts over.
 */
function remembered(compare: (a: string, b: string) => boolean): (a: string, b: string) => boolean {
  const answers = new Map<string, boolean>();
  return (a, b) => {
    const key = `${a}\u0000${b}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = compare(a, b);
      if (answers.size >= 50_000) answers.clear();
      answers.set(key, answer);
    }
    return answer;
  };
}

function names(syntax: PatternSyntax): NameComparison {
  return {
    overlap: remembered((a, b) => overlap(a, b, syntax).holds),
    contains: remembered((outer, inner) => contains(outer, inner, syntax).holds),
    same: (a, b) => (syntax.caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b),
  };
}

const IAM_ACTIONS: NameComparison = {
  overlap: remembered(actionsOverlap),
  contains: remembered(actionsContain),
  same: names(ACTION_SYNTAX).same,
};

const asGiven = (role: string) => ({ names: [role], unknown: false });

export const CLOUD_COMPARISON: Record<ProviderName, CloudComparison> = {
  aws: {
    actions: IAM_ACTIONS,
    roles: names({}),
    resources: { singleCharacter: true },
    roleNames: asGiven,
    identifierProblem: () => undefined,
    identifierNoun: 'ARN',
  },
  gcp: {
    actions: names({}),
    roles: names({}),
    resources: {},
    roleNames: asGiven,
    identifierProblem: resourceNameShapeProblem,
    identifierNoun: 'Google Cloud resource name',
  },
  azure: {
    actions: names({ caseInsensitive: true }),
    roles: names({ caseInsensitive: true }),
    resources: { caseInsensitive: true },
    identifierProblem: (id) => (mayReadOtherwise(id) ? parseAzureResourceId(id).problem : undefined),
    identifierNoun: 'Azure resource ID',
    roleNames(role) {
      if (roleDefinitionGuid(role) === undefined) return asGiven(role);
      const name = builtInRoleName(role);
      return name === undefined ? { names: [role], unknown: true } : { names: [role, name], unknown: false };
    },
  },
};
