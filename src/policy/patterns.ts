/**
 * Wildcard patterns compared as the sets of strings they match, the way a cloud compares a grant
 * with a rule: two patterns *overlap* when some string matches both, and one *contains* another
 * when every string the inner one matches, the outer one matches too. `*` matches any run of
 * characters (none included); with `singleCharacter`, `?` matches exactly one (IAM's syntax).
 */
export interface PatternSyntax {
  /** Letters compare without case (AWS actions, Azure role names and resource IDs). */
  caseInsensitive?: boolean;
  /** `?` matches one character (AWS); otherwise it is literal. */
  singleCharacter?: boolean;
}

type Token = { kind: 'star' } | { kind: 'one' } | { kind: 'char'; char: string };

/**
 * Past this many states a containment question is answered "no" (the grant is refused): patterns
 * are short in practice, and failing closed is the safe answer for a guardrail.
 */
export const STATE_BUDGET = 200_000;

function tokenize(pattern: string, syntax: PatternSyntax): Token[] {
  const text = syntax.caseInsensitive ? pattern.toLowerCase() : pattern;
  const tokens: Token[] = [];
  for (const char of text) {
    if (char === '*') {
      // Consecutive stars match what one does.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?' && syntax.singleCharacter) tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char });
  }
  return tokens;
}

function literals(tokens: Token[]): Set<string> {
  return new Set(tokens.flatMap((t) => (t.kind === 'char' ? [t.char] : [])));
}

/** A character no pattern names, standing for "any other character". */
function otherCharacter(...sets: Set<string>[]): string {
  for (const candidate of 'xyzqjkXYZ0123456789~#') {
    const folded = candidate.toLowerCase();
    if (sets.every((s) => !s.has(candidate) && !s.has(folded))) return candidate;
  }
  for (let code = 0x100; ; code++) {
    const candidate = String.fromCharCode(code);
    if (sets.every((s) => !s.has(candidate))) return candidate;
  }
}

/** Positions reachable from `states` without reading a character (skipping stars). */
function closure(tokens: Token[], states: Iterable<number>): number[] {
  const reached = new Set<number>();
  for (let state of states) {
    while (!reached.has(state)) {
      reached.add(state);
      if (tokens[state]?.kind !== 'star') break;
      state += 1;
    }
  }
  return [...reached].sort((a, b) => a - b);
}

/** Positions after reading `char` from `states` (a closed set). */
function step(tokens: Token[], states: number[], char: string): number[] {
  const next: number[] = [];
  for (const state of states) {
    const token = tokens[state];
    if (!token) continue;
    if (token.kind === 'star') next.push(state);
    else if (token.kind === 'one' || token.char === char) next.push(state + 1);
  }
  return closure(tokens, next);
}

export interface Comparison {
  /** The answer. */
  holds: boolean;
  /**
   * Overlap: a string both patterns match. Containment that fails: a string the inner pattern
   * matches and the outer one does not (absent only when the state budget ran out).
   */
  witness?: string;
}

/** Whether some string matches both patterns, with one such string. */
export function overlap(a: string, b: string, syntax: PatternSyntax = {}): Comparison {
  // Most names compared are literal (catalogue actions, roles): a match answers those.
  const [literalA, literalB] = [isLiteral(a, syntax), isLiteral(b, syntax)];
  if (literalB || literalA) {
    const [pattern, value] = literalB ? [a, b] : [b, a];
    return matches(pattern, value, syntax) ? { holds: true, witness: value } : { holds: false };
  }
  return overlapOfPatterns(a, b, syntax);
}

function overlapOfPatterns(a: string, b: string, syntax: PatternSyntax): Comparison {
  const left = tokenize(a, syntax);
  const right = tokenize(b, syntax);
  const other = otherCharacter(literals(left), literals(right));
  const key = (i: number, j: number) => i * (right.length + 1) + j;
  const search = new Search<number>(key(0, 0));
  const queue: [number, number][] = [[0, 0]];
  const visit = (from: number, i: number, j: number, char: string | undefined) => {
    if (search.visit(from, key(i, j), char)) queue.push([i, j]);
  };
  for (let head = 0; head < queue.length; head++) {
    const [i, j] = queue[head] as [number, number];
    const here = key(i, j);
    if (i === left.length && j === right.length) return { holds: true, witness: search.spell(here) };
    const l = left[i];
    const r = right[j];
    if (l?.kind === 'star') visit(here, i + 1, j, undefined);
    if (r?.kind === 'star') visit(here, i, j + 1, undefined);
    if (!l || !r) continue;
    // Both sides read one character: a star reads it and stays (two stars reading go nowhere new).
    if (l.kind === 'star' && r.kind === 'star') continue;
    if (l.kind === 'char' && r.kind === 'char' && l.char !== r.char) continue;
    const char = l.kind === 'char' ? l.char : r.kind === 'char' ? r.char : other;
    visit(here, l.kind === 'star' ? i : i + 1, r.kind === 'star' ? j : j + 1, char);
  }
  return { holds: false };
}

/** Whether every string `inner` matches, `outer` matches too; if not, a string that shows it. */
export function contains(
  outer: string,
  inner: string,
  syntax: PatternSyntax = {},
  stateBudget = STATE_BUDGET,
): Comparison {
  if (isLiteral(inner, syntax)) {
    return matches(outer, inner, syntax) ? { holds: true } : { holds: false, witness: inner };
  }
  return containmentOfPatterns(outer, inner, syntax, stateBudget);
}

function containmentOfPatterns(
  outer: string,
  inner: string,
  syntax: PatternSyntax,
  stateBudget: number,
): Comparison {
  const out = tokenize(outer, syntax);
  const inn = tokenize(inner, syntax);
  const innerLiterals = literals(inn);
  const outerLiterals = literals(out);
  const other = otherCharacter(innerLiterals, outerLiterals);
  // Every character outside the patterns' literals behaves like `other` on both sides.
  const alphabet = [...new Set([...innerLiterals, ...outerLiterals, other])];
  const key = (i: number, states: number[]) => `${i}|${states.join(',')}`;
  const startStates = closure(out, [0]);
  const search = new Search<string>(key(0, startStates));
  const queue: { i: number; states: number[] }[] = [{ i: 0, states: startStates }];
  const visit = (from: string, i: number, states: number[], char: string | undefined) => {
    if (search.visit(from, key(i, states), char)) queue.push({ i, states });
  };
  for (let head = 0; head < queue.length; head++) {
    if (search.size > stateBudget) return { holds: false };
    const { i, states } = queue[head] as { i: number; states: number[] };
    const here = key(i, states);
    const token = inn[i];
    if (!token) {
      if (!states.includes(out.length)) return { holds: false, witness: search.spell(here) };
      continue;
    }
    if (token.kind === 'star') visit(here, i + 1, states, undefined);
    const nextI = token.kind === 'star' ? i : i + 1;
    for (const char of token.kind === 'char' ? [token.char] : alphabet) {
      visit(here, nextI, step(out, states, char), char);
    }
  }
  return { holds: true };
}

/** Breadth-first bookkeeping: which states were seen, and how each was first reached. */
class Search<K> {
  private readonly parent = new Map<K, { from: K; char: string | undefined }>();

  constructor(private readonly start: K) {
    this.parent.set(start, { from: start, char: undefined });
  }

  get size(): number {
    return this.parent.size;
  }

  /** Records the state; false when it was seen before. */
  visit(from: K, state: K, char: string | undefined): boolean {
    if (this.parent.has(state)) return false;
    this.parent.set(state, { from, char });
    return true;
  }

  /** The characters read on the way from the start to `state`. */
  spell(state: K): string {
    const chars: string[] = [];
    for (let at = state; at !== this.start; ) {
      const entry = this.parent.get(at) as { from: K; char: string | undefined };
      if (entry.char !== undefined) chars.push(entry.char);
      at = entry.from;
    }
    return chars.reverse().join('');
  }
}

function isLiteral(pattern: string, syntax: PatternSyntax): boolean {
  return !pattern.includes('*') && !(syntax.singleCharacter && pattern.includes('?'));
}

/** Compiled patterns, kept while there are few enough of them (guardrails reuse a small set). */
const compiled = new Map<string, RegExp>();
const COMPILED_LIMIT = 10_000;

function regexOf(pattern: string, syntax: PatternSyntax): RegExp {
  const key = `${syntax.caseInsensitive ? 'i' : '-'}${syntax.singleCharacter ? '?' : '-'}${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    const body = tokenize(pattern, syntax)
      .map((t) =>
        t.kind === 'star'
          ? '[^]*'
          : t.kind === 'one'
            ? '[^]'
            : t.char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
      )
      .join('');
    regex = new RegExp(`^${body}$`, 'u');
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, regex);
  }
  return regex;
}

/** Whether `value`, a concrete string, matches `pattern`. */
export function matches(pattern: string, value: string, syntax: PatternSyntax = {}): boolean {
  return regexOf(pattern, syntax).test(syntax.caseInsensitive ? value.toLowerCase() : value);
}
