import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { Reason } from '../../api/reasons.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest } from '../provider.js';
import { credentialsSecretRef, readCredentialsSecret, type SecretReader } from '../shared/secrets.js';

const SECRET_TTL_MS = 5 * 60_000;

/** The keys a credentials Secret holds (the names the AWS CLI uses in its credentials file). */
export const SECRET_KEYS = {
  accessKeyId: 'aws_access_key_id',
  secretAccessKey: 'aws_secret_access_key',
  sessionToken: 'aws_session_token',
} as const;

/**
 * Ambient: undefined, so the SDK's default chain finds the operator's own identity (IRSA, EKS Pod
 * Identity). Secret: read from Kubernetes, re-read every five minutes so a rotation is picked up.
 */
export function credentialsFor(
  account: AccountRequest,
  secrets: SecretReader,
): AwsCredentialIdentityProvider | undefined {
  const ref = credentialsSecretRef(account);
  if (!ref) return undefined;
  let cached: { at: number; value: AwsCredentialIdentity } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < SECRET_TTL_MS) return cached.value;
    const data = await readCredentialsSecret(ref, secrets);
    const accessKeyId = data[SECRET_KEYS.accessKeyId];
    const secretAccessKey = data[SECRET_KEYS.secretAccessKey];
    if (!accessKeyId || !secretAccessKey) {
      throw terminal(
        Reason.InvalidCredentials,
        `Secret ${ref.namespace}/${ref.name} must hold ${SECRET_KEYS.accessKeyId} and ${SECRET_KEYS.secretAccessKey}`,
      );
    }
    const sessionToken = data[SECRET_KEYS.sessionToken];
    const value = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    cached = { at: Date.now(), value };
    return value;
  };
}
