import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OPERATOR_NODE_OPTIONS } from '../../src/runtime/node-options.js';
import { freePorts } from '../support/control-plane/ports.js';
import { waitFor } from '../support/kube-manifests.js';

const MAIN = fileURLToPath(new URL('../../dist/operator/main.js', import.meta.url));

export interface OperatorProcess {
  name: string;
  port: number;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  metric(name: string): Promise<number>;
}

/** `node dist/operator/main.js` (the bundled operator, as the image runs it) with the operator's Node options and the given flags, its output captured. */
export async function spawnOperator(name: string, args: string[]): Promise<OperatorProcess> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  const child = spawn(
    process.execPath,
    [
      ...OPERATOR_NODE_OPTIONS,
      MAIN,
      `--http-address=127.0.0.1:${port}`,
      '--dashboard-address=127.0.0.1:0',
      `--pod-name=${name}`,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    port,
    child,
    output: () => output,
    exited,
    metric: async (metricName) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${metricName}{`) || line.startsWith(`${metricName} `))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    },
  };
}

export async function waitReady(operator: OperatorProcess): Promise<void> {
  await waitFor(`${operator.name} /readyz`, async () => {
    const response = await fetch(`http://127.0.0.1:${operator.port}/readyz`).catch(() => undefined);
    return response?.status === 200;
  });
}

/** The process's JSON log lines (the keyless binary logs pino JSON with ISO times and level labels). */
interface LogEntry {
  msg?: string;
  time?: string;
  level?: string;
  err?: { message?: string };
}

function logEntries(operator: OperatorProcess): LogEntry[] {
  return operator
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEntry];
      } catch {
        // The last line while the process is still writing it.
        return [];
      }
    });
}

/** When the process first logged each of `messages` (epoch ms). */
export function logTimes(operator: OperatorProcess, messages: readonly string[]): Map<string, number> {
  const times = new Map<string, number>();
  for (const entry of logEntries(operator)) {
    if (entry.msg && entry.time && messages.includes(entry.msg) && !times.has(entry.msg))
      times.set(entry.msg, Date.parse(entry.time));
  }
  return times;
}

/**
 * The warnings Node.js itself printed (`(node:PID) Warning: ...`): deprecations, and the AWS SDK's
 * NodeVersionSupportWarning on a Node.js it will stop supporting.
 */
export function nodeWarnings(operator: OperatorProcess): string[] {
  return operator
    .output()
    .split('\n')
    .filter((line) => /^\(node:\d+\) /.test(line));
}

/** What the process logged at error level or above: each line's message and error, if any. */
export function errorLines(operator: OperatorProcess): string[] {
  return logEntries(operator)
    .filter((entry) => entry.level === 'error' || entry.level === 'fatal')
    .map((entry) => [entry.msg, entry.err?.message].filter(Boolean).join(': '));
}
