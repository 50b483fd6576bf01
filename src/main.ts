#!/usr/bin/env node
import { registerLeanClientNode } from './kube-api/lean-client-node.js';

// Before anything imports client-node, hence the operator's modules are imported only afterwards.
registerLeanClientNode();
await import('./operator-main.js');
