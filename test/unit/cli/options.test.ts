import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { type CliOptions, parseCommandLine } from '../../../src/cli/options.js';

const TTY = { isTTY: true, columns: 120 };
const PIPE = { isTTY: false };

function options(argv: string[], env: NodeJS.ProcessEnv = {}, terminal = PIPE): CliOptions {
  const invocation = parseCommandLine(argv, env, terminal);
  if (invocation.help) throw new Error('asked for help');
  return invocation.options;
}

function usageErrorOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCommandLine(argv, env, PIPE);
  } catch (err) {
    expect((err as { exitCode?: number }).exitCode).toBe(EXIT.usage);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('the command line', () => {
  it('reads each command with its object, namespace and output', () => {
    expect(options(['status'])).toMatchObject({
      command: 'status',
      target: undefined,
      allNamespaces: false,
      output: 'text',
    });
    expect(options(['status', '-A', '-o', 'json'])).toMatchObject({ allNamespaces: true, output: 'json' });
    expect(options(['why', 'ib/orders-admin', '-n', 'shop'])).toMatchObject({
      command: 'why',
      target: { kind: 'IdentityBinding', name: 'orders-admin' },
      namespace: 'shop',
    });
    expect(options(['diff', 'workloadidentity', 'orders-api', '-oyaml'])).toMatchObject({
      target: { kind: 'WorkloadIdentity', name: 'orders-api' },
      output: 'yaml',
    });
    expect(
      options(['reconcile', 'CloudAccount.keyless.dev/aws-prod', '--wait', '--timeout', '90s']),
    ).toMatchObject({
      target: { kind: 'CloudAccount', name: 'aws-prod' },
      wait: true,
      timeoutMs: 90_000,
    });
    expect(options(['extend', 'identitybindings/oncall', '--by', '1h30m'])).toMatchObject({
      target: { kind: 'IdentityBinding', name: 'oncall' },
      byMs: 5_400_000,
    });
  });

  it.each([
    [['help'], true],
    [['--help'], true],
    [['status', '-h'], true],
  ])('%j asks for help', (argv, help) => {
    expect(parseCommandLine(argv, {}, PIPE).help).toBe(help);
  });

  it.each([
    [[], 'a command is needed'],
    [['list'], 'unknown command "list"'],
    [['status', '--nope'], "Unknown option '--nope'"],
    [['status', 'wi/x'], 'status takes no arguments'],
    [['status', '-A', '-n', 'shop'], '-n and -A exclude each other'],
    [['status', '-o', 'wide'], '-o wide: use json or yaml'],
    [['status', '--by', '2h'], 'status does not take --by'],
    [['why'], 'why needs an object'],
    [['why', 'pod/x'], 'why takes ca, wi, ib; "pod" is not one of them'],
    [['why', 'wi/'], 'why needs a name: wi/NAME'],
    [['why', 'wi/Orders'], '"Orders" is not a Kubernetes object name'],
    [['why', 'wi/a', 'wi/b'], 'why takes one object'],
    [['diff', 'ca/aws-prod'], 'diff takes wi, ib'],
    [['extend', 'wi/orders-api', '--by', '2h'], 'extend takes ib'],
    [['extend', 'ib/oncall'], 'extend needs --by DURATION'],
    [['extend', 'ib/oncall', '--by', 'two hours'], '--by two hours: invalid duration'],
    [['extend', 'ib/oncall', '--by', '0s'], '--by 0s: must be longer than 0'],
    [['reconcile', 'wi/x', '--timeout', '5s'], '--timeout goes with --wait'],
    [['status', '-n', 'Shop_1'], '-n Shop_1: not a namespace name'],
  ])('%j is a usage error', (argv, message) => {
    expect(usageErrorOf(argv)).toContain(message);
  });

  it('colours only a terminal, and never with NO_COLOR set or TERM=dumb', () => {
    expect(options(['status'], {}, TTY)).toMatchObject({ color: true, columns: 120 });
    expect(options(['status'], {}, PIPE)).toMatchObject({ color: false, columns: undefined });
    expect(options(['status'], { NO_COLOR: '1' }, TTY).color).toBe(false);
    expect(options(['status'], { NO_COLOR: '' }, TTY).color).toBe(true);
    expect(options(['status'], { TERM: 'dumb' }, TTY).color).toBe(false);
  });

  it('takes the kubeconfig from --kubeconfig, else every file in KUBECONFIG, else ~/.kube/config', () => {
    expect(options(['status', '--kubeconfig', '/a'], { KUBECONFIG: '/b:/c' }).kubeconfigPaths).toEqual([
      '/a',
    ]);
    expect(options(['status'], { KUBECONFIG: '/b::/c' }).kubeconfigPaths).toEqual(['/b', '/c']);
    expect(options(['status'], { HOME: '/home/ana' })).toMatchObject({
      kubeconfigPaths: [],
      defaultKubeconfig: '/home/ana/.kube/config',
      inCluster: false,
    });
    expect(
      options(['status'], { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }).inCluster,
    ).toBe(true);
  });

  it('takes the cluster name for diff from --cluster-name or KEYLESS_CLUSTER_NAME', () => {
    expect(options(['diff', 'wi/x'], { KEYLESS_CLUSTER_NAME: 'prod-eu' }).clusterName).toBe('prod-eu');
    expect(
      options(['diff', 'wi/x', '--cluster-name', 'dev'], { KEYLESS_CLUSTER_NAME: 'prod-eu' }).clusterName,
    ).toBe('dev');
    expect(options(['diff', 'wi/x']).clusterName).toBeUndefined();
  });
});
