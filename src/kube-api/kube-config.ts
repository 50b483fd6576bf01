/**
 * client-node's KubeConfig and Watch, imported from their own modules rather than the package index:
 * the index also loads the whole generated API (every model and API class), which Keyless does not
 * use and which holds about 60 MB of memory. See lean-client-node.ts for the one import of the
 * generated API that KubeConfig still makes.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
