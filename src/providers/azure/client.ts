import type { Site, WebSiteManagementClient } from '@azure/arm-appservice';
import { AuthorizationManagementClient, type RoleAssignment } from '@azure/arm-authorization';
import {
  type FederatedIdentityCredential,
  type Identity,
  ManagedServiceIdentityClient,
} from '@azure/arm-msi';
import type { TokenCredential } from '@azure/core-auth';
import type { Context } from '../../runtime/context.js';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { classifyAzureError, isNotFound } from './errors.js';
import type { SiteIdentityPatch } from './function-apps.js';

const ARM_SCOPE = 'https://management.azure.com/.default';

export interface AzureClientOptions {
  subscriptionId: string;
  credential: TokenCredential;
  /** ARM endpoint override (sovereign clouds, a local fake). */
  endpoint: string | undefined;
  /** Extra CA for the endpoint's TLS certificate (a local fake's throwaway CA). */
  ca: string | undefined;
  /** Shared by every call to this subscription; slowed when ARM throttles and paused for its Retry-After. */
  limiter: AccountLimiter;
  callTimeoutMs: number;
}

/**
 * ARM calls for one subscription (managed identities, federated credentials, role assignments and
 * definitions), and nothing else: every call waits for the subscription's rate limiter and every
 * failure leaves here classified (a ClassifiedError). The SDK's own retries are off.
 */
export class AzureClient {
  private readonly msi: ManagedServiceIdentityClient;
  private readonly authorization: AuthorizationManagementClient;
  /** The App Service client, made (and its large SDK loaded) only once a site is asked for. */
  private web: Promise<WebSiteManagementClient> | undefined;
  private readonly webOptions: Pick<AzureClientOptions, 'credential' | 'subscriptionId' | 'endpoint' | 'ca'>;
  private readonly call: CloudCalls['call'];
  private readonly optional: CloudCalls['optional'];

  constructor(options: AzureClientOptions) {
    ({ call: this.call, optional: this.optional } = cloudCalls(
      options.limiter,
      classifyAzureError,
      isNotFound,
      options.callTimeoutMs,
    ));
    const common = {
      retryOptions: { maxRetries: 0 },
      // With an endpoint override the SDK would ask for a token for that host; ARM's audience is fixed.
      ...(options.endpoint ? { endpoint: options.endpoint, credentialScopes: [ARM_SCOPE] } : {}),
      ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
    };
    this.msi = new ManagedServiceIdentityClient(options.credential, options.subscriptionId, common);
    this.authorization = new AuthorizationManagementClient(
      options.credential,
      options.subscriptionId,
      common,
    );
    this.webOptions = options;
  }

  private webApps() {
    this.web ??= import('@azure/arm-appservice').then(({ WebSiteManagementClient }) => {
      const options = this.webOptions;
      // The App Service client is of the newer SDK generation, whose options are spelled differently.
      return new WebSiteManagementClient(options.credential, options.subscriptionId, {
        retryOptions: { maxRetries: 0 },
        ...(options.endpoint ? { endpoint: options.endpoint, credentials: { scopes: [ARM_SCOPE] } } : {}),
        ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}),
      });
    });
    return this.web.then((web) => web.webApps);
  }

  /** A Function App or App Service site; undefined when it does not exist. */
  async getSite(ctx: Context, resourceGroup: string, name: string): Promise<Site | undefined> {
    const webApps = await this.webApps();
    return this.optional(ctx, 'sites.get', (abortSignal) =>
      webApps.get(resourceGroup, name, { abortSignal }),
    );
  }

  /** PATCHes only the site's identity. */
  async patchSiteIdentity(
    ctx: Context,
    resourceGroup: string,
    name: string,
    identity: SiteIdentityPatch,
  ): Promise<void> {
    const webApps = await this.webApps();
    await this.call(ctx, 'sites.patch', (abortSignal) =>
      webApps.update(
        resourceGroup,
        name,
        // `null` entries remove an identity (ARM's PATCH contract); the SDK's type has no room for them.
        { identity: identity as NonNullable<Site['identity']> },
        { abortSignal },
      ),
    );
  }

  /** The site's app settings (a POST that reads). */
  async listSiteSettings(ctx: Context, resourceGroup: string, name: string): Promise<Record<string, string>> {
    const webApps = await this.webApps();
    return this.call(ctx, 'sites.listSettings', async (abortSignal) => {
      const settings = await webApps.listApplicationSettings(resourceGroup, name, { abortSignal });
      return { ...(settings.properties ?? {}) };
    });
  }

  /** Replaces the site's app settings: pass every setting to keep. */
  async putSiteSettings(
    ctx: Context,
    resourceGroup: string,
    name: string,
    properties: Record<string, string>,
  ): Promise<void> {
    const webApps = await this.webApps();
    await this.call(ctx, 'sites.putSettings', (abortSignal) =>
      webApps.updateApplicationSettings(resourceGroup, name, { properties }, { abortSignal }),
    );
  }

  getIdentity(ctx: Context, resourceGroup: string, name: string): Promise<Identity | undefined> {
    return this.optional(ctx, 'identities.get', (abortSignal) =>
      this.msi.userAssignedIdentities.get(resourceGroup, name, { abortSignal }),
    );
  }

  putIdentity(ctx: Context, resourceGroup: string, name: string, identity: Identity): Promise<Identity> {
    return this.call(ctx, 'identities.put', (abortSignal) =>
      this.msi.userAssignedIdentities.createOrUpdate(resourceGroup, name, identity, { abortSignal }),
    );
  }

  async deleteIdentity(ctx: Context, resourceGroup: string, name: string): Promise<void> {
    await this.optional(ctx, 'identities.delete', (abortSignal) =>
      this.msi.userAssignedIdentities.delete(resourceGroup, name, { abortSignal }),
    );
  }

  listCredentials(
    ctx: Context,
    resourceGroup: string,
    identity: string,
  ): Promise<FederatedIdentityCredential[]> {
    return this.call(ctx, 'federatedCredentials.list', async (abortSignal) => {
      const all: FederatedIdentityCredential[] = [];
      for await (const credential of this.msi.federatedIdentityCredentials.list(resourceGroup, identity, {
        abortSignal,
      }))
        all.push(credential);
      return all;
    });
  }

  putCredential(
    ctx: Context,
    resourceGroup: string,
    identity: string,
    name: string,
    credential: FederatedIdentityCredential,
  ) {
    return this.call(ctx, 'federatedCredentials.put', (abortSignal) =>
      this.msi.federatedIdentityCredentials.createOrUpdate(resourceGroup, identity, name, credential, {
        abortSignal,
      }),
    );
  }

  async deleteCredential(ctx: Context, resourceGroup: string, identity: string, name: string): Promise<void> {
    await this.optional(ctx, 'federatedCredentials.delete', (abortSignal) =>
      this.msi.federatedIdentityCredentials.delete(resourceGroup, identity, name, { abortSignal }),
    );
  }

  getAssignment(ctx: Context, scope: string, name: string): Promise<RoleAssignment | undefined> {
    return this.optional(ctx, 'roleAssignments.get', (abortSignal) =>
      this.authorization.roleAssignments.get(scope, name, { abortSignal }),
    );
  }

  putAssignment(
    ctx: Context,
    scope: string,
    name: string,
    roleDefinitionId: string,
    principalId: string,
  ): Promise<RoleAssignment> {
    return this.call(ctx, 'roleAssignments.put', (abortSignal) =>
      this.authorization.roleAssignments.create(
        scope,
        name,
        {
          roleDefinitionId,
          principalId,
          principalType: 'ServicePrincipal',
          description: 'Managed by Keyless',
        },
        { abortSignal },
      ),
    );
  }

  async deleteAssignment(ctx: Context, scope: string, name: string): Promise<void> {
    await this.optional(ctx, 'roleAssignments.delete', (abortSignal) =>
      this.authorization.roleAssignments.delete(scope, name, { abortSignal }),
    );
  }

  /** A role's definition id by its name, as seen at `scope` (built-in roles are visible everywhere). */
  findRoleDefinition(ctx: Context, scope: string, roleName: string): Promise<string | undefined> {
    return this.call(ctx, 'roleDefinitions.list', async (abortSignal) => {
      const filter = `roleName eq '${roleName.replace(/'/g, "''")}'`;
      for await (const definition of this.authorization.roleDefinitions.list(scope, {
        filter,
        abortSignal,
      })) {
        if (definition.id) return definition.id;
      }
      return undefined;
    });
  }
}
