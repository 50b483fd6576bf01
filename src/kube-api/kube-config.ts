/**
 * client-node's KubeConfig, imported from its own module rather than the package index: the index
 * also loads the whole generated API (every model and API class), which Keyless does not use and
 * which holds about 60 MB of memory. See lean-client-node.ts for the one import of the generated API
 * that KubeConfig still makes. The operator in its pod does not load it at all
 * (service-account-connection.ts); a kubeconfig file and the kubectl plugin do.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
