/**
 * The Argo CD health checks and actions in gitops/argocd/, run by gopher-lua as Argo CD runs an
 * argocd-cm customization, against their own health_test.yaml and actions/action_test.yaml (Argo
 * CD's test formats), whose inputs are objects captured from a real API server.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARGO_CUSTOMIZATIONS, type ArgoCase, argoTestCases } from '../../support/gitops-tools.js';
import { ensureGoTool } from '../../support/go-tools.js';

const KINDS = ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'] as const;
/** The time the action tests' expected outputs hold (see each action_test.yaml). */
const NOW = '2026-12-02T08:00:00Z';

describe('the Argo CD customizations, run by gopher-lua', () => {
  let cases: ArgoCase[];

  beforeAll(async () => {
    await ensureGoTool({ name: 'argo-health' });
    cases = await argoTestCases(KINDS, NOW);
    const table = cases.map((c) => {
      const kind = c.dir.split('/').at(-1) ?? c.dir;
      const want = c.suite === 'health' ? (c.want as { status: string }).status : c.suite;
      return `  ${c.ok ? 'ok  ' : 'FAIL'} ${kind.padEnd(17)} ${c.suite.padEnd(9)} ${(c.action ?? '').padEnd(9)} ${c.input.padEnd(44)} ${want}`;
    });
    process.stdout.write(`Argo CD health and action tests:\n${table.join('\n')}\n`);
  }, 900_000);

  it('passes every health, discovery and action test case', () => {
    expect(cases.filter((c) => !c.ok)).toEqual([]);
    for (const kind of KINDS) {
      for (const suite of ['health', 'discovery', 'action'])
        expect(
          cases.some((c) => c.dir.endsWith(kind) && c.suite === suite),
          `${kind} ${suite}`,
        ).toBe(true);
    }
  });

  it('has a health case for every captured object, and every health status Keyless objects can have', () => {
    for (const kind of KINDS) {
      const captures = readdirSync(`${ARGO_CUSTOMIZATIONS}${kind}/testdata`).map((f) => `testdata/${f}`);
      const covered = cases.filter((c) => c.dir.endsWith(kind) && c.suite === 'health').map((c) => c.input);
      expect(covered.sort(), kind).toEqual(captures.sort());
    }
    const statuses = new Set(
      cases.filter((c) => c.suite === 'health').map((c) => (c.want as { status: string }).status),
    );
    expect([...statuses].sort()).toEqual(['Degraded', 'Healthy', 'Progressing', 'Suspended']);
  });

  it('fails a case whose expectation the script does not meet', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'argo-health-'));
    cpSync(`${ARGO_CUSTOMIZATIONS}IdentityBinding`, copy, { recursive: true });
    const tests = join(copy, 'health_test.yaml');
    writeFileSync(tests, readFileSync(tests, 'utf8').replace('status: Suspended', 'status: Healthy'));
    const tool = await ensureGoTool({ name: 'argo-health' });
    let output = '';
    try {
      execFileSync(tool, ['-now', NOW, 'test', copy], { encoding: 'utf8' });
    } catch (err) {
      output = (err as { stdout: string }).stdout;
    }
    const failed = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ArgoCase)
      .filter((c) => !c.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      suite: 'health',
      want: { status: 'Healthy' },
      got: { status: 'Suspended' },
    });
  });
});
