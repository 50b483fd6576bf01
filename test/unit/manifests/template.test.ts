import { describe, expect, it } from 'vitest';
import { emitHelmDocument } from '../../../scripts/manifests/helm-template.js';
import {
  block,
  concat,
  evaluate,
  inChartOnly,
  isSet,
  merge,
  type RenderContext,
  truthy,
  value,
  when,
} from '../../../scripts/manifests/template.js';

const context = (
  values: Record<string, unknown>,
  target: RenderContext['target'] = 'chart',
): RenderContext => ({
  target,
  values,
  release: { name: 'r', namespace: 'ns' },
  chart: { name: 'c', version: '1.0.0', appVersion: '1.0.0' },
});

describe('truthy, as Go templates judge `if`', () => {
  it.each([
    [undefined, false],
    [null, false],
    [false, false],
    [0, false],
    ['', false],
    [[], false],
    [{}, false],
    [true, true],
    [1, true],
    ['0', true],
    [['a'], true],
    [{ a: '' }, true],
  ])('%j is %s', (input, expected) => {
    expect(truthy(input)).toBe(expected);
  });
});

describe('evaluate', () => {
  const object = {
    a: when(isSet('x'), value('x')),
    labels: merge({ fixed: 'yes', chart: when(inChartOnly, 'only') }, block('extra')),
    annotations: merge(block('notes')),
    env: concat([{ name: 'A' }, when(isSet('x'), { name: 'X' })], block('more')),
  };

  it('leaves out what is not set, and a merge whose parts are all empty', () => {
    expect(evaluate(object, context({ extra: {}, notes: {}, more: [] }, 'kustomize'))).toEqual({
      labels: { fixed: 'yes' },
      env: [{ name: 'A' }],
    });
  });

  it('puts in what is set, in order', () => {
    expect(
      evaluate(object, context({ x: 'v', extra: { e: '1' }, notes: { n: '2' }, more: [{ name: 'M' }] })),
    ).toEqual({
      a: 'v',
      labels: { fixed: 'yes', chart: 'only', e: '1' },
      annotations: { n: '2' },
      env: [{ name: 'A' }, { name: 'X' }, { name: 'M' }],
    });
  });
});

describe('emitHelmDocument', () => {
  it('guards a map that may be empty with the truth of each of its parts', () => {
    expect(
      emitHelmDocument({ annotations: merge(block('notes'), { k: when(isSet('x'), value('x')) }) }),
    ).toBe(
      [
        '{{- if or (.Values.notes) (.Values.x) }}',
        'annotations:',
        '  {{- with .Values.notes }}',
        '  {{- toYaml . | nindent 2 }}',
        '  {{- end }}',
        '  {{- if .Values.x }}',
        '  k: {{ .Values.x | toJson }}',
        '  {{- end }}',
        '{{- end }}',
        '',
      ].join('\n'),
    );
  });

  it('refuses a literal that Helm would read as a template', () => {
    expect(() => emitHelmDocument({ summary: 'fails on {{ $labels.node }}' })).toThrow(
      /would be read as a Helm template/,
    );
  });
});
