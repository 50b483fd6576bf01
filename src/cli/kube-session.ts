import { existsSync } from 'node:fs';
import { KubeClient } from '../kube-api/client.js';
import { KubeConfig } from '../kube-api/kube-config.js';
import { CliError, EXIT, usageError } from './exit-codes.js';
import type { CliOptions } from './options.js';

/** The user's own connection to the API server: their kubeconfig, context, credentials and namespace. */
export interface KubeSession {
  client: KubeClient;
  /** The namespace commands use: -n, else the context's, else `default`. */
  namespace: string;
  /** The API server's URL, for messages. */
  server: string;
}

/**
 * Loads the kubeconfig the way kubectl does: --kubeconfig, else KUBECONFIG's files merged, else
 * ~/.kube/config, else the pod's own ServiceAccount when run in a cluster.
 */
export function openSession(
  options: Pick<CliOptions, 'kubeconfigPaths' | 'defaultKubeconfig' | 'inCluster' | 'context' | 'namespace'>,
): KubeSession {
  const kubeConfig = new KubeConfig();
  const fallback =
    options.defaultKubeconfig && existsSync(options.defaultKubeconfig)
      ? options.defaultKubeconfig
      : undefined;
  // KUBECONFIG may list files that do not exist; kubectl skips them, and so does this.
  const listed =
    options.kubeconfigPaths.length > 1 ? options.kubeconfigPaths.filter(existsSync) : options.kubeconfigPaths;
  const paths = listed.length > 0 ? listed : fallback ? [fallback] : [];
  const [first, ...others] = paths;
  if (first === undefined && !options.inCluster) {
    throw new CliError(
      'no kubeconfig: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config',
      EXIT.apiError,
    );
  }
  try {
    if (first === undefined) {
      kubeConfig.loadFromCluster();
    } else {
      kubeConfig.loadFromFile(first);
      for (const path of others) {
        const next = new KubeConfig();
        next.loadFromFile(path);
        mergeFirstWins(kubeConfig, next);
      }
    }
  } catch (err) {
    throw new CliError(`cannot load the kubeconfig: ${(err as Error).message}`, EXIT.apiError, {
      cause: err,
    });
  }
  if (options.context !== undefined) {
    if (!kubeConfig.getContextObject(options.context)) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw usageError(
        `--context ${options.context}: the kubeconfig has no such context${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}`,
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new CliError(
      'the kubeconfig names no cluster for its current context: set KUBECONFIG or --kubeconfig, or --context',
      EXIT.apiError,
    );
  }
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return {
    client: new KubeClient(kubeConfig),
    namespace: options.namespace ?? context?.namespace ?? 'default',
    server: cluster.server,
  };
}

/** kubectl's merge of KUBECONFIG's files: the first file to name a cluster, user, context or current context wins. */
function mergeFirstWins(into: KubeConfig, next: KubeConfig): void {
  const has = (list: readonly { name: string }[], name: string) => list.some((item) => item.name === name);
  for (const cluster of next.clusters) if (!has(into.clusters, cluster.name)) into.addCluster(cluster);
  for (const user of next.users) if (!has(into.users, user.name)) into.addUser(user);
  for (const context of next.contexts) if (!has(into.contexts, context.name)) into.addContext(context);
  if (!into.currentContext && next.currentContext) into.setCurrentContext(next.currentContext);
}
