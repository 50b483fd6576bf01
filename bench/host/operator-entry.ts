/**
 * The operator host's entry point, as src/main.ts is the operator's: client-node's lean loading is
 * registered before operator-host.ts (and through it client-node) is imported, so the benchmark
 * measures the memory a deployed operator holds.
 */
import { registerLeanClientNode } from '../../src/kube-api/lean-client-node.js';

registerLeanClientNode();
await import('./operator-host.js');
