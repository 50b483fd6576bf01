export * from './cloud-account.js';
export * from './conditions.js';
export * from './crd.js';
export * from './group.js';
export * from './identity-binding.js';
export * from './kinds.js';
export * from './object-meta.js';
export * from './workload-identity.js';
