/**
 * A wire-level fake of the EKS Pod Identity association API, for the real `@aws-sdk/client-eks`.
 *
 *   const fake = await startEksFake({ clusters: [{ name: 'prod', region: 'us-east-1', accountId: '123456789012' }] });
 *   const eks = eksClient(fake);
 *   await eks.send(new CreatePodIdentityAssociationCommand({ clusterName: 'prod', namespace: 'shop', serviceAccount: 'orders-api', roleArn }));
 *   fake.denyAction('iam:PassRole');
 *   await fake.stop();
 */
export { eksClient } from './client.js';
export {
  type EksFake,
  type EksFakeOptions,
  type EksFault,
  type EksOperation,
  startEksFake,
} from './server.js';
export type { EksCluster, PodIdentityAssociation } from './state.js';
