import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { README_PATH, renderReadme } from '../../../scripts/readme-tables.js';
import { renderReasonsTables } from '../../../scripts/reasons-table.js';
import { isReason, OUTCOMES, progressOf, REASONS, type Reason } from '../../../src/api/reasons.js';
import { deadlineExceeded } from '../../../src/runtime/context.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('the reasons catalogue', () => {
  it('gives each reason a one-sentence meaning, the conditions that carry it and a known outcome', () => {
    const problems = Object.entries(REASONS).flatMap(([name, entry]) => [
      ...(/^[A-Z][A-Za-z]+$/.test(name) ? [] : [`${name} is not CamelCase`]),
      ...(/^\S.*\.$/.test(entry.meaning) && !/\.\s+[A-Z]/.test(entry.meaning)
        ? []
        : [`${name}: not one sentence`]),
      ...(entry.carriedBy.length > 0 ? [] : [`${name} is carried by nothing`]),
      ...(Object.hasOwn(OUTCOMES, entry.outcome) ? [] : [`${name}: unknown outcome ${entry.outcome}`]),
    ]);
    expect(problems).toEqual([]);
  });

  it('holds only reasons some code sets (a reason nobody sets is not in the catalogue)', () => {
    const source = sourceFiles('src')
      .filter((path) => !path.endsWith(join('api', 'reasons.ts')))
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
    const used = (Object.keys(REASONS) as Reason[]).filter((name) =>
      new RegExp(`\\bReason\\.${name}\\b`).test(source),
    );
    const unused = (Object.keys(REASONS) as Reason[]).filter((name) => !used.includes(name));
    expect(unused).toEqual([]);
  });

  it('says for each reason that can leave Ready or Synced False whether kstatus reads it as Reconciling or Stalled', () => {
    const problems = Object.entries(REASONS).flatMap(([name, entry]) => {
      const carriers: readonly string[] = entry.carriedBy;
      const failing =
        entry.outcome !== 'Success' && (carriers.includes('Ready') || carriers.includes('Synced'));
      const marks = carriers.filter((c) => c === 'Reconciling' || c === 'Stalled');
      if (failing && marks.length !== 1)
        return [`${name}: carried by ${marks.length} of Reconciling, Stalled`];
      if (!failing && marks.length > 0) return [`${name}: never False on Ready or Synced, yet ${marks}`];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it('reads every terminal reason, and only what a person must fix, as Stalled', () => {
    const stalled = (Object.keys(REASONS) as Reason[]).filter((name) => progressOf(name) === 'Stalled');
    const terminal = (Object.keys(REASONS) as Reason[]).filter((name) =>
      REASONS[name].outcome.startsWith('Terminal'),
    );
    expect(stalled).toEqual(expect.arrayContaining(terminal));
    expect(stalled.filter((name) => !terminal.includes(name)).sort()).toEqual([
      'AccountNotFound',
      'Expired',
      'IdentityNotFound',
      'NotFoundInCloud',
      'ServiceAccountClaimed',
    ]);
    const retried = (Object.keys(REASONS) as Reason[]).filter((name) => REASONS[name].outcome === 'Retried');
    expect(retried.map(progressOf)).toEqual(retried.map(() => 'Reconciling'));
    expect(progressOf('SomethingElse')).toBeUndefined();
  });

  it("holds the reason of the runtime's own deadline, which the runtime writes without the catalogue", () => {
    expect(isReason(deadlineExceeded(60_000).reason)).toBe(true);
  });

  it('is what the README says (run `npm run generate`)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });

  it('lists every reason in the README, with its outcome', () => {
    const table = renderReasonsTables();
    for (const [name, entry] of Object.entries(REASONS)) {
      expect(table).toContain(`| \`${name}\` | ${entry.carriedBy.join(', ')} | ${entry.outcome} |`);
    }
  });
});
