import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ALERTS_FILE,
  alertRules,
  alertTestCases,
  asPrometheusQuery,
  dashboardQueries,
  MONITORING_DIR,
} from '../../support/monitoring-files.js';
import { ensurePromtool, promtool } from '../../support/promtool.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const RUNBOOKS = 'https://github.com/keyless-dev/keyless/blob/main/README.md#';

/** The anchors GitHub gives README.md's headings. */
function readmeAnchors(): Set<string> {
  const headings = readFileSync(README, 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) =>
      line
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    );
  return new Set(headings);
}

describe('the alerts (deploy/monitoring/alerts.yaml), checked by promtool', () => {
  beforeAll(async () => {
    await ensurePromtool();
  }, 300_000);

  it('is a valid Prometheus rule file', async () => {
    const result = await promtool(['check', 'rules', ALERTS_FILE]);
    expect(result.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(result.code).toBe(0);
  });

  it('passes its unit tests (promtool test rules), each alert both firing and staying quiet', async () => {
    const result = await promtool(['test', 'rules', 'tests/alerts.test.yaml'], { cwd: MONITORING_DIR });
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
    const cases = alertTestCases();
    for (const { alert } of alertRules()) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => c.exp_alerts.length > 0),
        `a test where ${alert} fires`,
      ).toBe(true);
      expect(
        own.some((c) => c.exp_alerts.length === 0),
        `a test where ${alert} stays quiet`,
      ).toBe(true);
    }
  });

  it('gives every alert a severity, a summary, a description and a runbook in README.md', () => {
    const anchors = readmeAnchors();
    for (const rule of alertRules()) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook_url, rule.alert).toBe(`${RUNBOOKS}${rule.alert.toLowerCase()}`);
      expect(anchors.has(rule.alert.toLowerCase()), `README.md has a section ${rule.alert}`).toBe(true);
    }
  });
});

describe('the Grafana dashboard (deploy/monitoring/dashboard.json)', () => {
  it('has queries, each of which promtool parses as PromQL', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    const dir = await mkdtemp(join(tmpdir(), 'keyless-dashboard-'));
    try {
      // Each query as a recording rule: promtool check rules parses every expression.
      const file = join(dir, 'dashboard-queries.yaml');
      const rules = queries.map((query, index) => ({
        record: `keyless_dashboard_query_${index}`,
        expr: asPrometheusQuery(query.expr),
      }));
      await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = await promtool(['check', 'rules', file]);
      expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(result.code).toBe(0);

      // And it can fail: a query that does not parse is reported.
      await writeFile(
        file,
        stringify({ groups: [{ name: 'dashboard', rules: [{ record: 'x', expr: 'sum(' }] }] }),
      );
      expect((await promtool(['check', 'rules', file])).code).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
