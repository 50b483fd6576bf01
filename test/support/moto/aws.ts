/** AWS SDK v3 clients against moto: plain configuration, a signing STS client, and an IAM admin. */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { BOOTSTRAP_ACTION_COUNT, type Moto } from './server.js';

/** Structurally an `AwsCredentialIdentity`. */
export interface MotoCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Any key works while moto does not enforce IAM. */
export const TEST_CREDENTIALS: MotoCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const MOTO_REGION = 'us-east-1';
/** The account moto puts everything in. */
export const MOTO_ACCOUNT_ID = '123456789012';

/**
 * `{ endpoint, region, credentials }` for any SDK client, e.g. `new IAMClient(awsClientConfig(moto.endpoint))`.
 * S3 clients also need `forcePathStyle: true` (there is no `<bucket>.127.0.0.1`).
 */
export function awsClientConfig(
  endpoint: string,
  credentials: MotoCredentials = TEST_CREDENTIALS,
): { endpoint: string; region: string; credentials: MotoCredentials } {
  return { endpoint, region: MOTO_REGION, credentials };
}

/**
 * An STS client that signs every call with SigV4, including AssumeRoleWithWebIdentity, which the SDK
 * otherwise sends unsigned (it is `noAuth` in the STS model). moto with IAM enforcement answers an
 * unsigned call with HTTP 500, so tests that enforce IAM need this; real STS does not. Test-only.
 */
export function signedStsClient(
  endpoint: string,
  credentials: MotoCredentials,
  overrides: Omit<STSClientConfig, 'endpoint' | 'credentials' | 'httpAuthSchemeProvider'> = {},
): STSClient {
  return new STSClient({
    ...awsClientConfig(endpoint, credentials),
    ...overrides,
    httpAuthSchemeProvider: (parameters) => [
      {
        schemeId: 'aws.auth#sigv4',
        signingProperties: { name: 'sts', region: parameters.region },
        propertiesExtractor: (config, context) => ({ signingProperties: { config, context } }),
      },
    ],
  });
}

const ADMIN_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

/**
 * Creates an IAM user with an inline `*` policy and an access key, using moto's first unauthenticated
 * calls (three of them: start moto with `enforceIam` and call this before anything else, and again
 * after `reset()`). moto loads no AWS managed policies by default, hence the inline policy.
 */
export async function bootstrapAdmin(moto: Moto, userName = 'keyless-test-admin'): Promise<MotoCredentials> {
  // One attempt per call: an SDK retry would spend another unauthenticated call.
  const iam = new IAMClient({ ...awsClientConfig(moto.endpoint), maxAttempts: 1 });
  try {
    await iam.send(new CreateUserCommand({ UserName: userName }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: userName, PolicyName: 'admin', PolicyDocument: ADMIN_POLICY }),
    );
    const { AccessKey: key } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
    return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  } catch (error) {
    throw new Error(
      `cannot bootstrap the IAM admin on ${moto.endpoint}: it needs ${BOOTSTRAP_ACTION_COUNT} unauthenticated ` +
        `calls (initialNoAuthActionCount is ${moto.initialNoAuthActionCount}), made before any other call`,
      { cause: error },
    );
  } finally {
    iam.destroy();
  }
}
