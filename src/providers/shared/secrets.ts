import { Reason } from '../../api/reasons.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest } from '../provider.js';

/** Reads a Kubernetes Secret's decoded data, for CloudAccounts with `credentials.source: Secret`. */
export interface SecretReader {
  read(namespace: string, name: string): Promise<Record<string, string>>;
}

/** The reference of an account's credentials Secret, or undefined for ambient credentials. */
export function credentialsSecretRef(
  account: AccountRequest,
): { namespace: string; name: string } | undefined {
  const credentials = account.spec.credentials;
  if (credentials?.source !== 'Secret') return undefined;
  if (!credentials.secretRef) {
    throw terminal(
      Reason.InvalidAccount,
      `CloudAccount ${account.name}: credentials.source Secret needs a secretRef`,
    );
  }
  return credentials.secretRef;
}

/** The credentials Secret's data; a Secret that cannot be read is a terminal InvalidCredentials. */
export async function readCredentialsSecret(
  ref: { namespace: string; name: string },
  secrets: SecretReader,
): Promise<Record<string, string>> {
  try {
    return await secrets.read(ref.namespace, ref.name);
  } catch (err) {
    throw terminal(Reason.InvalidCredentials, `cannot read Secret ${ref.namespace}/${ref.name}`, err);
  }
}
