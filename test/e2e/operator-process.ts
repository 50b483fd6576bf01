import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../support/control-plane/ports.js';
import { waitFor } from '../support/kube-manifests.js';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

export interface OperatorProcess {
  name: string;
  port: number;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  metric(name: string): Promise<number>;
}

/** `node dist/src/main.js` with the given flags, its output captured. */
export async function spawnOperator(name: string, args: string[]): Promise<OperatorProcess> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  const child = spawn(
    process.execPath,
    [MAIN, `--http-address=127.0.0.1:${port}`, `--pod-name=${name}`, ...args],
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
