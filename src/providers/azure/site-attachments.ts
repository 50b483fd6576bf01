import type { Drift, FunctionStatus } from '../../api/index.js';
import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { ClassifiedError, terminal } from '../../runtime/errors.js';
import type { AzureClient } from './client.js';
import {
  CLIENT_ID_SETTING,
  describeSiteIdentity,
  type FunctionApps,
  hasIdentity,
  identityPatchAdding,
  identityPatchRemoving,
  SITE_PERMISSIONS,
  type SiteRef,
  settingsWithClientId,
  settingsWithoutClientId,
} from './function-apps.js';

/** The managed identity as sites name it. */
export interface IdentityRef {
  /** Its resource ID, the key in a site's userAssignedIdentities. */
  id: string;
  clientId: string;
}

/** A step on a site the operator was refused, or a site that is not there: reported, not retried. */
class SiteProblem extends Error {
  constructor(
    readonly state: 'Missing' | 'Forbidden',
    message: string,
  ) {
    super(message);
  }
}

/** Runs one step on a site; a refusal or a missing site becomes a SiteProblem naming the permission. */
async function onSite<T>(site: SiteRef, permission: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ClassifiedError && err.reason === Reason.AccessDenied)
      throw new SiteProblem('Forbidden', `the operator lacks ${permission} on ${site.id}: ${err.message}`);
    if (err instanceof ClassifiedError && err.reason === Reason.ResourceGroupNotFound)
      throw new SiteProblem('Missing', `${site.id} does not exist (its resource group does not)`);
    throw err;
  }
}

function problemStatus(site: SiteRef, err: unknown): FunctionStatus {
  if (!(err instanceof SiteProblem)) throw err;
  return { name: site.id, state: err.state, message: err.message };
}

/**
 * Function Apps and App Service sites that run as the identity: the identity among their
 * user-assigned identities and, if asked, their AZURE_CLIENT_ID setting. Each site stands alone:
 * one that is missing or refused is reported in its status while the others converge.
 */
export class SiteAttachments {
  constructor(private readonly client: AzureClient) {}

  /** One GET per site, and one settings read per site when the setting is kept. */
  async observe(
    ctx: Context,
    apps: FunctionApps,
    identity: IdentityRef,
  ): Promise<{ functions: FunctionStatus[]; drift: Drift[] }> {
    const functions: FunctionStatus[] = [];
    const drift: Drift[] = [];
    for (const site of apps.sites) {
      try {
        const found = await this.read(ctx, site);
        if (!found) {
          functions.push({ name: site.id, state: 'Missing', message: `${site.id} does not exist` });
          continue;
        }
        const siteDrift: Drift[] = [];
        if (!hasIdentity(found.identity, identity.id)) {
          siteDrift.push({
            field: `functionApps[${site.id}].identity`,
            wanted: identity.id,
            found: describeSiteIdentity(found.identity),
          });
        }
        if (apps.setClientId) {
          const settings = await this.settings(ctx, site);
          if (settings[CLIENT_ID_SETTING] !== identity.clientId) {
            siteDrift.push({
              field: `functionApps[${site.id}].appSettings.${CLIENT_ID_SETTING}`,
              wanted: identity.clientId,
              found: settings[CLIENT_ID_SETTING] ?? 'absent',
            });
          }
        }
        drift.push(...siteDrift);
        functions.push(
          siteDrift.length > 0
            ? {
                name: site.id,
                state: 'Drifted',
                message: `differs from the spec: ${siteDrift.map((d) => d.field).join(', ')}`,
                identity: identity.id,
              }
            : { name: site.id, state: 'Attached', identity: identity.id },
        );
      } catch (err) {
        functions.push(problemStatus(site, err));
      }
    }
    for (const site of apps.released) {
      try {
        const found = await this.read(ctx, site);
        if (found && hasIdentity(found.identity, identity.id)) {
          drift.push({ field: `functionApps[${site.id}].identity`, wanted: 'absent', found: identity.id });
        }
      } catch (err) {
        // Still listed, so the next reconcile tries again; a site that is gone needs nothing.
        const problem = problemStatus(site, err);
        if (problem.state === 'Forbidden') functions.push(problem);
      }
    }
    return { functions, drift };
  }

  /** Per site: a GET, then a PATCH of its identity only if it lacks this one (and the setting likewise). */
  async attach(ctx: Context, apps: FunctionApps, identity: IdentityRef): Promise<FunctionStatus[]> {
    const functions: FunctionStatus[] = [];
    for (const site of apps.sites) {
      try {
        const found = await this.read(ctx, site);
        if (!found) {
          functions.push({ name: site.id, state: 'Missing', message: `${site.id} does not exist` });
          continue;
        }
        const patch = identityPatchAdding(found.identity, identity.id);
        if (patch) {
          await onSite(site, SITE_PERMISSIONS.write, () =>
            this.client.patchSiteIdentity(ctx, site.resourceGroup, site.name, patch),
          );
        }
        if (apps.setClientId) {
          const wanted = settingsWithClientId(await this.settings(ctx, site), identity.clientId);
          if (wanted) {
            await onSite(site, SITE_PERMISSIONS.writeSettings, () =>
              this.client.putSiteSettings(ctx, site.resourceGroup, site.name, wanted),
            );
          }
        }
        functions.push({ name: site.id, state: 'Attached', identity: identity.id });
      } catch (err) {
        functions.push(problemStatus(site, err));
      }
    }
    return functions;
  }

  /**
   * Takes the identity off sites the spec no longer names; a site that refuses stays in the list
   * returned (Forbidden), so status keeps it and the next reconcile tries again.
   */
  async release(ctx: Context, apps: FunctionApps, identity: IdentityRef): Promise<FunctionStatus[]> {
    const refused: FunctionStatus[] = [];
    for (const site of apps.released) {
      try {
        await this.detachSite(ctx, site, apps.setClientId, identity);
      } catch (err) {
        const problem = problemStatus(site, err);
        if (problem.state === 'Forbidden') refused.push(problem);
      }
    }
    return refused;
  }

  /**
   * Takes off only what Keyless put there, from the spec's sites and those status still lists: the
   * identity, and AZURE_CLIENT_ID when Keyless keeps it and it still holds the identity's client id.
   * A site that is gone needs nothing; a refusal stops the deletion with the permission named, so
   * nothing is left behind unsaid.
   */
  async detach(ctx: Context, apps: FunctionApps, identity: IdentityRef): Promise<void> {
    for (const site of [...apps.sites, ...apps.released]) {
      try {
        await this.detachSite(ctx, site, apps.setClientId, identity);
      } catch (err) {
        if (!(err instanceof SiteProblem)) throw err;
        if (err.state === 'Missing') continue;
        throw terminal(Reason.FunctionAccessDenied, `detaching the identity: ${err.message}`);
      }
    }
  }

  private async detachSite(ctx: Context, site: SiteRef, setClientId: boolean, identity: IdentityRef) {
    const found = await this.read(ctx, site);
    if (!found) return;
    if (setClientId) {
      const wanted = settingsWithoutClientId(await this.settings(ctx, site), identity.clientId);
      if (wanted) {
        await onSite(site, SITE_PERMISSIONS.writeSettings, () =>
          this.client.putSiteSettings(ctx, site.resourceGroup, site.name, wanted),
        );
      }
    }
    const patch = identityPatchRemoving(found.identity, identity.id);
    if (patch) {
      await onSite(site, SITE_PERMISSIONS.write, () =>
        this.client.patchSiteIdentity(ctx, site.resourceGroup, site.name, patch),
      );
    }
  }

  private read(ctx: Context, site: SiteRef) {
    return onSite(site, SITE_PERMISSIONS.read, () => this.client.getSite(ctx, site.resourceGroup, site.name));
  }

  private settings(ctx: Context, site: SiteRef) {
    return onSite(site, SITE_PERMISSIONS.listSettings, () =>
      this.client.listSiteSettings(ctx, site.resourceGroup, site.name),
    );
  }
}
