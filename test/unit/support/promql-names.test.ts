import { describe, expect, it } from 'vitest';
import { metricNames } from '../../support/promql-names.js';

describe('metricNames', () => {
  const cases: [string, string[]][] = [
    ['keyless_leader', ['keyless_leader']],
    ['absent(keyless_leader)', ['keyless_leader']],
    ['max(keyless_leader) < 1', ['keyless_leader']],
    [
      'sum by (controller, le) (rate(keyless_reconcile_duration_seconds_bucket{controller=~"Work.*"}[5m]))',
      ['keyless_reconcile_duration_seconds_bucket'],
    ],
    [
      'sum without (instance) (rate(a_total[5m] offset 1h)) / on (x) group_left (y) b * 60 > bool 3',
      ['a_total', 'b'],
    ],
    [
      'x{name="by (le) keyless_fake", other=\'rate(y)\'} and ignoring(z) w unless v or u',
      ['x', 'w', 'v', 'u'],
    ],
    [
      'time() - max by (account) (keyless_cloud_account_last_check_success_timestamp_seconds)',
      ['keyless_cloud_account_last_check_success_timestamp_seconds'],
    ],
    ['histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m:1m])))', ['h_bucket']],
    ['a - time() < 3600 > 0 or vector(0) + 1e3 + Inf + NaN', ['a']],
    ['topk(5, a) + a', ['a']],
    ['{__name__="x"}', []],
  ];
  for (const [expr, names] of cases) {
    it(expr, () => {
      expect(metricNames(expr)).toEqual(names);
    });
  }
});
