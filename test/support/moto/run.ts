/** Runs a short-lived command to completion, keeping the tail of its output for error messages. */
import { spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last `tailLines` non-empty lines of stdout and stderr, interleaved as they came. */
  readonly tail: readonly string[];
  /** All of stdout (for commands whose answer is their output). */
  readonly stdout: string;
}

export interface ProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory; defaults to this process's. */
  readonly cwd?: string;
  /** Written to the command's standard input (else it is empty). */
  readonly input?: string;
  /** Every output line is also written here. */
  readonly log?: WriteStream;
  readonly onLine?: (line: string) => void;
  readonly tailLines?: number;
}

export function describeFailure(command: string, args: readonly string[], result: RunResult): string {
  const how = result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
  return `${[command, ...args].join(' ')} ${how}:\n${result.tail.join('\n') || '(no output)'}`;
}

export function run(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<RunResult> {
  const tailLines = options.tailLines ?? 40;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const stdout: Buffer[] = [];
    const pending = { stdout: '', stderr: '' };
    const onLine = (line: string) => {
      options.log?.write(`${line}\n`);
      if (line.trim() === '') return;
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
      options.onLine?.(line);
    };
    const onText = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (stream === 'stdout') stdout.push(chunk);
      const lines = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    };
    // Without input the command reads end-of-file at once, as from /dev/null. A command that exits
    // before reading its input breaks the pipe: said in the output, the exit code tells the rest.
    child.stdin.on('error', (err) => onLine(`(standard input: ${err.message})`));
    child.stdin.end(options.input ?? '');
    child.stdout.on('data', onText('stdout'));
    child.stderr.on('data', onText('stderr'));
    child.on('error', (cause) => reject(new Error(`cannot run ${command}`, { cause })));
    child.on('close', (code, signal) => {
      for (const rest of [pending.stdout, pending.stderr]) if (rest !== '') onLine(rest);
      resolve({ code, signal, tail, stdout: Buffer.concat(stdout).toString('utf8') });
    });
  });
}
