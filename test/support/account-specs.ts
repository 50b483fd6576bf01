import type { CloudAccountSpec } from '../../src/api/index.js';

/** An AWS account's spec, for tests whose provider never calls AWS (the in-memory one, or a stub). */
export const AWS_ACCOUNT_SPEC: CloudAccountSpec = {
  provider: 'aws',
  aws: { accountId: '123456789012', region: 'us-east-1', oidcProvider: { issuerUrl: 'https://issuer' } },
};
