/**
 * A wire-level fake of the Google Cloud APIs Keyless uses (IAM v1 service accounts, Resource Manager
 * v3 project policies, IAM v2 deny policies), for the real Google clients. See README.md.
 *
 *   const fake = await startGcpFake({ projects: [{ projectId: 'keyless-test', projectNumber: '123456789012' }] });
 *   const { iam, projects, policies } = gcpClients(fake);
 *   await iam.projects.serviceAccounts.create({ name: 'projects/keyless-test', requestBody: { accountId: 'orders-api' } });
 *   fake.throttleNext(1, 5, 'projects.setIamPolicy');
 *   fake.state.editProjectPolicy('keyless-test', (policy) => ({ ...policy, bindings: [...] }));
 *   expect(fake.counts()).toEqual({ 'serviceAccounts.create': 1 });
 *   await fake.stop();
 */
export {
  type GcpClientOptions,
  type GcpClients,
  type GcpClientsOptions,
  gcpClientOptions,
  gcpClients,
  type OAuth2Client,
  staticTokenClient,
} from './clients.js';
export type { DenyCondition, DenyPolicy, DenyPolicyInput, DenyPolicyRule, DenyRule } from './deny-policy.js';
export type { GcpFaultRule, GcpRequest, InjectedFault } from './faults.js';
export type { AuditConfig, IamBinding, IamCondition, IamPolicy, IamPolicyInput } from './iam-policy.js';
export { type GcpOperation, gcpOperationOf, UNKNOWN_OPERATION } from './routing.js';
export { type GcpFake, type GcpFakeOptions, type LoggedRequest, startGcpFake } from './server.js';
export type { GcpFakeState, NewServiceAccount, ServiceAccount } from './state.js';
export type { GcpProject } from './store.js';
