export * from './memory-cloud.js';
export { MemoryProvider } from './memory-provider.js';
