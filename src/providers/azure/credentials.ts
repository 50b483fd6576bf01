import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { Reason } from '../../api/reasons.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest } from '../provider.js';
import { credentialsSecretRef, readCredentialsSecret, type SecretReader } from '../shared/secrets.js';
import { azureAccountOf } from './mapping.js';

const SECRET_TTL_MS = 5 * 60_000;

/** The keys a credentials Secret may hold. */
export const SECRET_KEYS = {
  clientId: 'client_id',
  clientSecret: 'client_secret',
  accessToken: 'access_token',
} as const;

/**
 * Ambient: DefaultAzureCredential (Azure workload identity for the operator itself). Secret: a
 * service principal (client_id + client_secret, in the account's tenant) or a bearer token.
 */
export function credentialFor(account: AccountRequest, secrets: SecretReader): TokenCredential {
  const ref = credentialsSecretRef(account);
  if (!ref) return new DefaultAzureCredential();
  const tenantId = azureAccountOf(account).tenantId;
  let inner: { at: number; credential: Promise<TokenCredential> } | undefined;
  const load = async (): Promise<TokenCredential> => {
    const data = await readCredentialsSecret(ref, secrets);
    const token = data[SECRET_KEYS.accessToken];
    if (token)
      return {
        getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
      };
    const clientId = data[SECRET_KEYS.clientId];
    const clientSecret = data[SECRET_KEYS.clientSecret];
    if (!clientId || !clientSecret) {
      throw terminal(
        Reason.InvalidCredentials,
        `Secret ${ref.namespace}/${ref.name} must hold ${SECRET_KEYS.clientId} and ${SECRET_KEYS.clientSecret}, or ${SECRET_KEYS.accessToken}`,
      );
    }
    return new ClientSecretCredential(tenantId, clientId, clientSecret);
  };
  return {
    // The Secret is read again every five minutes, so a rotation needs no restart.
    getToken: async (scopes, options) => {
      if (!inner || Date.now() - inner.at > SECRET_TTL_MS) inner = { at: Date.now(), credential: load() };
      const current = inner;
      try {
        return await (await current.credential).getToken(scopes, options);
      } catch (err) {
        if (inner === current) inner = undefined;
        throw err;
      }
    },
  };
}
