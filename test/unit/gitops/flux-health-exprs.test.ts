import { readdirSync, readFileSync } from 'node:fs';
import { evaluate } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CUSTOMIZATIONS_DIR } from '../../../scripts/argocd-cm.js';

interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  inProgress?: string;
  failed?: string;
  current: string;
}

const example = parse(readFileSync('gitops/flux/kustomization.yaml', 'utf8')) as {
  spec: { wait: boolean; healthCheckExprs: HealthCheckExpr[] };
};

/**
 * As Flux's StatusEvaluator (fluxcd/pkg runtime/cel) reads an object with healthCheckExprs: a
 * status.observedGeneration behind metadata.generation is InProgress; then inProgress, failed and
 * current in that order; none matching is InProgress.
 */
function fluxStatus(expr: HealthCheckExpr, object: Record<string, unknown>): string {
  const { metadata, status } = object as {
    metadata: { generation?: number };
    status?: { observedGeneration?: number };
  };
  if (status?.observedGeneration !== undefined && status.observedGeneration !== metadata.generation)
    return 'InProgress';
  if (expr.inProgress && evaluate(expr.inProgress, object) === true) return 'InProgress';
  if (expr.failed && evaluate(expr.failed, object) === true) return 'Failed';
  if (evaluate(expr.current, object) === true) return 'Current';
  return 'InProgress';
}

describe("the README's Flux Kustomization example", () => {
  it('waits, and reads IdentityBindings captured from a real API server as intended (an ended one is Current)', () => {
    expect(example.spec.wait).toBe(true);
    const [expr] = example.spec.healthCheckExprs;
    if (!expr) throw new Error('no healthCheckExprs');
    expect(expr.kind).toBe('IdentityBinding');
    const dir = `${CUSTOMIZATIONS_DIR}IdentityBinding/testdata/`;
    const verdicts = Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((file) => [file, fluxStatus(expr, parse(readFileSync(`${dir}${file}`, 'utf8')))]),
    );
    expect(verdicts).toEqual({
      'degraded_escalationRefused.yaml': 'Failed',
      'degraded_guardrailViolation.yaml': 'Failed',
      'degraded_identityNotFound.yaml': 'Failed',
      'healthy.yaml': 'Current',
      'healthy_temporary.yaml': 'Current',
      'progressing_deleting.yaml': 'InProgress',
      'progressing_identityNotReady.yaml': 'InProgress',
      'progressing_new.yaml': 'InProgress',
      'suspended_expired.yaml': 'Current',
      'suspended_observeOnly.yaml': 'Current',
    });
  });
});
