import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const CHART_VALUES = new URL('../charts/keyless/values.yaml', import.meta.url);

/**
 * The memory limit README's Sizing gives 100,000 + 100,000 objects: the scale scenario runs under
 * it, since the chart's default is sized for about 20,000 + 20,000.
 */
export const SCALE_MEMORY_LIMIT_MIB = 2048;

/** The operator container's memory limit in the chart's values (`resources.limits.memory`), in MiB. */
export function chartMemoryLimitMiB(valuesYaml: string = readFileSync(CHART_VALUES, 'utf8')): number {
  const values = parse(valuesYaml) as { resources?: { limits?: { memory?: unknown } } } | null;
  const limit = values?.resources?.limits?.memory;
  if (typeof limit !== 'string')
    throw new Error('charts/keyless/values.yaml sets no resources.limits.memory');
  return mebibytes(limit);
}

/**
 * The old-generation size Node 24 gives V8 in a container with this memory limit: half of it, and
 * at least 256 MB (measured in memory cgroups on the bench machine: a heap of 259 MB under 256Mi
 * and 512Mi, 515 MB under 1Gi, 1,027 MB under 2Gi, the young generation's 3 MB included). The
 * benchmark runs the operator as a plain process, where V8 would size the heap from the machine's
 * memory and let garbage grow far longer before collecting it; `--max-old-space-size` gives it the
 * heap it has in its pod.
 */
export function podHeapMiB(limitMiB: number): number {
  return Math.max(256, Math.floor(limitMiB / 2));
}

/** A Kubernetes memory quantity in binary units (Mi, Gi) as MiB. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`memory limit ${quantity}: expected a quantity in Mi or Gi, such as 512Mi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}
