/**
 * A fault-injecting, counting HTTP proxy for tests, in front of any emulator or fake on loopback.
 *
 *   const proxy = await startFaultProxy({ target: moto.endpoint });
 *   proxy.inject({ operation: 'CreateRole', times: 1, respond: awsQueryError('Throttling', 'Rate exceeded') });
 *   const iam = new IAMClient({ ...awsClientConfig(proxy.endpoint), maxAttempts: 1 });
 *   ...
 *   expect(proxy.counts()).toEqual({ CreateRole: 1 });
 *   await proxy.stop();
 */
export {
  AWS_QUERY_NAMESPACES,
  type AwsQueryErrorOptions,
  awsQueryError,
  awsQueryOperation,
} from './aws-query.js';
export { type FaultProxy, type FaultProxyOptions, type ProxiedCall, startFaultProxy } from './proxy.js';
export type { FaultResponse, FaultRule, InjectedFault, ProxiedRequest } from './rules.js';
