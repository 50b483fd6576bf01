import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../policy/duration.js';
import type { ViewKind } from '../views/index.js';
import { usageError } from './exit-codes.js';
import { type ObjectRef, parseObjectRef } from './object-ref.js';

export const COMMANDS = ['status', 'why', 'diff', 'extend', 'reconcile'] as const;
export type Command = (typeof COMMANDS)[number];
export type OutputFormat = 'text' | 'json' | 'yaml';

/** What one run of the plugin was asked, validated. Only this module reads the command line and the environment. */
export interface CliOptions {
  command: Command;
  /** The object of every command but status. */
  target: ObjectRef | undefined;
  /** -n: the namespace asked for; otherwise the kubeconfig context's, else `default`. */
  namespace: string | undefined;
  allNamespaces: boolean;
  output: OutputFormat;
  context: string | undefined;
  /** --kubeconfig, else the files in KUBECONFIG (merged, the first to set a value wins). */
  kubeconfigPaths: string[];
  /** Without either: this file, if it exists (~/.kube/config). */
  defaultKubeconfig: string | undefined;
  /** Without any kubeconfig: whether this runs in a pod, with its ServiceAccount's credentials. */
  inCluster: boolean;
  /** extend: how long from now the grants are to end. */
  byMs: number | undefined;
  /** reconcile: wait until Keyless has answered the request. */
  wait: boolean;
  timeoutMs: number;
  /** diff: the operator's --cluster-name, which its deterministic cloud names hash. */
  clusterName: string | undefined;
  color: boolean;
  /** The terminal's width on a TTY; undefined when the output goes to a file or a pipe. */
  columns: number | undefined;
}

/** What a run is asked when it is asked for help rather than a command. */
export type Invocation = { help: true } | { help: false; options: CliOptions };

export interface Terminal {
  isTTY?: boolean;
  columns?: number;
}

const FLAGS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  by: { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'cluster-name': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Flag = keyof typeof FLAGS;

const COMMON: readonly Flag[] = ['namespace', 'output', 'context', 'kubeconfig', 'help'];
const COMMAND_FLAGS: Record<Command, readonly Flag[]> = {
  status: [...COMMON, 'all-namespaces'],
  why: COMMON,
  diff: [...COMMON, 'cluster-name'],
  extend: [...COMMON, 'by'],
  reconcile: [...COMMON, 'wait', 'timeout'],
};
const TARGET_KINDS: Record<Exclude<Command, 'status'>, readonly ViewKind[]> = {
  why: ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'],
  diff: ['WorkloadIdentity', 'IdentityBinding'],
  extend: ['IdentityBinding'],
  reconcile: ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding'],
};

export const USAGE = `kubectl keyless: Keyless's identities, grants and accounts as your kubeconfig lets you see them

Usage:
  kubectl keyless status [-n NAMESPACE | -A]    what needs attention first, then everything
  kubectl keyless why KIND/NAME                 what is wrong, the Events, the drift, the rule, what to do
  kubectl keyless diff KIND/NAME                what Keyless would change in the cloud now
  kubectl keyless extend ib/NAME --by 2h        the binding's grants end 2h from now (within maxGrantDuration)
  kubectl keyless reconcile KIND/NAME [--wait]  have Keyless observe the cloud again now

KIND: ca (CloudAccount), wi (WorkloadIdentity), ib (IdentityBinding); diff takes wi and ib, extend ib.

Flags:
  -n, --namespace NAME     the namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces     status: every namespace you may list
  -o, --output json|yaml   for scripts, instead of the table or text
      --context NAME       the kubeconfig context to use
      --kubeconfig PATH    the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)
      --by DURATION        extend: how long from now the grants are to last (90m, 2h, 1h30m)
      --wait               reconcile: wait until Keyless has answered, and print the state
      --timeout DURATION   reconcile --wait: how long to wait (default 60s)
      --cluster-name NAME  diff: the operator's --cluster-name, for the exact names of new cloud objects
                           (default: KEYLESS_CLUSTER_NAME)
  -h, --help

Colour only on a terminal, and never with NO_COLOR set.

Exit codes:
  0  done; status: nothing is failing; diff: the cloud is as the spec says
  1  status: something is Stalled or Failing; diff: the cloud differs; extend: refused;
     reconcile --wait: no answer in time
  2  bad command line
  3  no such object, or your credentials or RBAC do not allow it
  4  the API server could not be reached, or failed
  5  the plugin failed unexpectedly (a bug)
`;

/** Reads argv and the environment; throws a usage error (exit code 2) for anything it cannot take. */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  terminal: Terminal,
): Invocation {
  let parsed: { values: Partial<Record<Flag, string | boolean>>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: true });
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [word, ...rest] = positionals;
  if (values.help || word === 'help') return { help: true };
  if (word === undefined) throw usageError('a command is needed: status, why, diff, extend or reconcile');
  if (!(COMMANDS as readonly string[]).includes(word)) {
    throw usageError(`unknown command "${word}": use status, why, diff, extend or reconcile`);
  }
  const command = word as Command;
  for (const flag of Object.keys(values) as Flag[]) {
    if (!COMMAND_FLAGS[command].includes(flag)) throw usageError(`${command} does not take --${flag}`);
  }
  const string = (flag: Flag) => values[flag] as string | undefined;

  let target: ObjectRef | undefined;
  if (command === 'status') {
    if (rest.length > 0) throw usageError(`status takes no arguments, got ${rest.join(' ')}`);
  } else {
    target = parseObjectRef(rest, command, TARGET_KINDS[command]);
  }
  const namespace = string('namespace');
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw usageError(`-n ${namespace}: not a namespace name`);
  }
  const allNamespaces = values['all-namespaces'] === true;
  if (allNamespaces && namespace !== undefined) throw usageError('-n and -A exclude each other');

  const output = string('output') ?? 'text';
  if (output !== 'text' && output !== 'json' && output !== 'yaml') {
    throw usageError(`-o ${output}: use json or yaml (or leave -o out for the table)`);
  }

  let byMs: number | undefined;
  if (command === 'extend') {
    const by = string('by');
    if (by === undefined) throw usageError('extend needs --by DURATION, e.g. --by 2h');
    byMs = positiveDuration('--by', by);
  }
  const timeout = string('timeout');
  if (timeout !== undefined && values.wait !== true) throw usageError('--timeout goes with --wait');
  const timeoutMs = timeout === undefined ? 60_000 : positiveDuration('--timeout', timeout);

  const clusterName = string('cluster-name') ?? (command === 'diff' ? env.KEYLESS_CLUSTER_NAME : undefined);
  const kubeconfig = string('kubeconfig');
  const kubeconfigPaths =
    kubeconfig !== undefined ? [kubeconfig] : (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);

  return {
    help: false,
    options: {
      command,
      target,
      namespace,
      allNamespaces,
      output,
      context: string('context'),
      kubeconfigPaths,
      defaultKubeconfig: env.HOME ? join(env.HOME, '.kube', 'config') : undefined,
      inCluster: Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT),
      byMs,
      wait: values.wait === true,
      timeoutMs,
      clusterName: clusterName || undefined,
      color: terminal.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb',
      columns: terminal.isTTY === true && terminal.columns ? terminal.columns : undefined,
    },
  };
}

function positiveDuration(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw usageError(`${flag} ${text}: ${(err as Error).message}`);
  }
  if (ms <= 0) throw usageError(`${flag} ${text}: must be longer than 0`);
  return ms;
}
