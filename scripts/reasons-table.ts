import { OUTCOMES, type Outcome, REASONS } from '../src/api/reasons.js';

/** The README's tables of outcomes and reasons, from the catalogue in src/api/reasons.ts. */
export function renderReasonsTables(): string {
  const outcomes = (Object.entries(OUTCOMES) as [Outcome, string][]).map(
    ([outcome, description]) => `| ${outcome} | ${description} |`,
  );
  const reasons = (Object.keys(OUTCOMES) as Outcome[]).flatMap((outcome) =>
    Object.entries(REASONS)
      .filter(([, entry]) => entry.outcome === outcome)
      .map(
        ([name, entry]) => `| \`${name}\` | ${entry.carriedBy.join(', ')} | ${outcome} | ${entry.meaning} |`,
      ),
  );
  return [
    '| outcome | what happens |',
    '| --- | --- |',
    ...outcomes,
    '',
    '| reason | on | outcome | meaning |',
    '| --- | --- | --- | --- |',
    ...reasons,
  ].join('\n');
}
