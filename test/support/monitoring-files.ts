/** The alerts and the Grafana dashboard in deploy/monitoring/, read as their users' tools read them. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { metricNames } from './promql-names.js';

export const MONITORING_DIR = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
export const ALERTS_FILE = `${MONITORING_DIR}alerts.yaml`;
export const ALERT_TESTS_FILE = `${MONITORING_DIR}tests/alerts.test.yaml`;
export const DASHBOARD_FILE = `${MONITORING_DIR}dashboard.json`;

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

export interface AlertTestCase {
  alertname: string;
  eval_time: string;
  exp_alerts: unknown[];
}

/** Every `alert_rule_test` case of the promtool unit tests. */
export function alertTestCases(): AlertTestCase[] {
  const file = parse(readFileSync(ALERT_TESTS_FILE, 'utf8')) as {
    tests: { alert_rule_test?: AlertTestCase[] }[];
  };
  return file.tests.flatMap((test) => test.alert_rule_test ?? []);
}

interface Panel {
  title?: string;
  type?: string;
  panels?: Panel[];
  targets?: { expr?: string }[];
}

export interface DashboardQuery {
  panel: string;
  /** As written in the dashboard, Grafana's variables included. */
  expr: string;
}

export function dashboardQueries(): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): DashboardQuery[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((target) =>
        target.expr ? [{ panel: panel.title ?? '(untitled)', expr: target.expr }] : [],
      ),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

/** The values Grafana gives its built-in interval variables, for a query Prometheus can parse. */
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: '2m',
  __interval: '30s',
  __range: '6h',
};

/** `expr` as Grafana sends it to Prometheus; a variable Grafana would not fill in is an error. */
export function asPrometheusQuery(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const value = GRAFANA_VARIABLES[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
}

/** Every metric name the alerts and the dashboard query, each with where it is used. */
export function queriedMetrics(): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const note = (expr: string, where: string) => {
    for (const name of metricNames(expr)) uses.set(name, [...(uses.get(name) ?? []), where]);
  };
  for (const rule of alertRules()) note(rule.expr, `alert ${rule.alert}`);
  for (const query of dashboardQueries()) note(asPrometheusQuery(query.expr), `panel "${query.panel}"`);
  return uses;
}
