#!/usr/bin/env node
import type { CommandContext } from './command-context.js';
import { diff } from './commands/diff.js';
import { extend } from './commands/extend.js';
import { reconcile } from './commands/reconcile.js';
import { status } from './commands/status.js';
import { why } from './commands/why.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { KeylessApi } from './keyless-api.js';
import { openSession } from './kube-session.js';
import { type Command, parseCommandLine, USAGE } from './options.js';
import { styleFor } from './render/style.js';

const COMMANDS: Record<Command, (ctx: CommandContext) => Promise<ExitCode>> = {
  status,
  why,
  diff,
  extend,
  reconcile,
};

/** `kubectl-keyless`: kubectl runs it as `kubectl keyless …`. Wiring only: arguments, session, command, exit code. */
async function main(): Promise<ExitCode> {
  const stdout = (text: string) => process.stdout.write(text);
  const stderr = (text: string) => process.stderr.write(`${text}\n`);
  try {
    const invocation = parseCommandLine(process.argv.slice(2), process.env, process.stdout);
    if (invocation.help) {
      stdout(USAGE);
      return EXIT.ok;
    }
    const { options } = invocation;
    const session = openSession(options);
    const api = new KeylessApi(session.client, session.server);
    try {
      return await COMMANDS[options.command]({
        options,
        session,
        api,
        style: styleFor(options.color),
        now: () => Date.now(),
        stdout,
        stderr,
      });
    } finally {
      api.close();
    }
  } catch (err) {
    if (err instanceof CliError) {
      stderr(`error: ${err.message}`);
      if (err.exitCode === EXIT.usage) stderr("See 'kubectl keyless --help'.");
      return err.exitCode;
    }
    throw err;
  }
}

// A reader that stops early (`| head`) closes the pipe: the rest of the output is not wanted.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? EXIT.ok);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.internal;
  },
);
