/**
 * The real Azure SDK clients, pointed at the fake. What they need, and nothing else:
 *
 * - `endpoint`: the fake's `https://127.0.0.1:PORT` (`$host` alone still sends requests to
 *   management.azure.com);
 * - `tlsOptions: { ca }`: the fake's CA, for this client only (`NODE_EXTRA_CA_CERTS` works only when set
 *   before the process starts);
 * - `retryOptions: { maxRetries: 0 }`, so a test sees each answer once (the SDK retries 429 and 5xx
 *   itself, honouring `Retry-After`);
 * - a credential: the SDK's bearer policy asks it for a token for `${endpoint}/.default`; the static one
 *   here ignores the scope.
 */
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { DEFAULT_SUBSCRIPTION } from './types.js';

/** What a client needs to reach the fake: its endpoint and its CA. */
export interface AzureFakeAddress {
  readonly endpoint: string;
  readonly caPem: string;
}

/** Options both `ManagedServiceIdentityClient` and `AuthorizationManagementClient` accept. */
export interface AzureFakeClientOptions {
  readonly endpoint: string;
  readonly tlsOptions: { readonly ca: string };
  readonly retryOptions: { readonly maxRetries: number };
}

export function azureClientOptions(
  fake: AzureFakeAddress,
  retryOptions: { readonly maxRetries: number } = { maxRetries: 0 },
): AzureFakeClientOptions {
  return { endpoint: fake.endpoint, tlsOptions: { ca: fake.caPem }, retryOptions };
}

/** A credential that hands out one fixed token and records the scopes it was asked for. */
export class StaticTokenCredential implements TokenCredential {
  readonly token: string;
  readonly scopesRequested: string[] = [];

  constructor(token = 'keyless-test-token') {
    this.token = token;
  }

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    this.scopesRequested.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

export interface AzureClients {
  readonly msi: ManagedServiceIdentityClient;
  readonly authorization: AuthorizationManagementClient;
  /** App Service (@azure/arm-appservice, the newer SDK generation: the same options but no `$host`). */
  readonly web: WebSiteManagementClient;
  readonly credential: TokenCredential;
}

export interface AzureClientsOptions {
  /** Default: `DEFAULT_SUBSCRIPTION.subscriptionId`. */
  readonly subscriptionId?: string;
  /** Default: a new `StaticTokenCredential`. */
  readonly credential?: TokenCredential;
  /** Default: `{ maxRetries: 0 }`. */
  readonly retryOptions?: { readonly maxRetries: number };
}

export function azureClients(fake: AzureFakeAddress, options: AzureClientsOptions = {}): AzureClients {
  const credential = options.credential ?? new StaticTokenCredential();
  const subscriptionId = options.subscriptionId ?? DEFAULT_SUBSCRIPTION.subscriptionId;
  const clientOptions = azureClientOptions(fake, options.retryOptions);
  return {
    msi: new ManagedServiceIdentityClient(credential, subscriptionId, clientOptions),
    authorization: new AuthorizationManagementClient(credential, subscriptionId, clientOptions),
    web: new WebSiteManagementClient(credential, subscriptionId, clientOptions),
    credential,
  };
}
