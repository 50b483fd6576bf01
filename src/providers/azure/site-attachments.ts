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

function problemStatus(site: SiteRef, err: unknown): FunctionStatus & { message: string } {
  if (!(err instanceof SiteProblem)) throw err;
  return { arn: site.id, state: err.state, message: err.message };
}

/** How drift names a site. */
const fieldOf = (site: SiteRef) => `functionApps[${site.id}]`;

/** Whether `drift` (all of it, when not given) concerns the site. */
function drifted(site: SiteRef, drift: readonly Drift[] | undefined): boolean {
  return drift === undefined || drift.some((d) => d.field.startsWith(`${fieldOf(site)}.`));
}

/** A site dropped from the spec that Keyless could not release yet. */
function stillAttached(site: SiteRef, identity: IdentityRef, why: string): FunctionStatus {
  return {
    arn: site.id,
    role: identity.id,
    state: 'Drifted',
    message: `no longer in the spec, but Keyless cannot take the identity off it: ${why}`,
  };
}

/**
 * Function Apps and App Service sites that run as the identity: the identity among their
 * user-assigned identities and, if asked, their AZURE_CLIENT_ID setting. Each site stands alone:
 * one that is missing or refused is reported in its status while the others converge.
 */
export class SiteAttachments {
  constructor(private readonly client: AzureClient) {}

  /**
   * One GET per site, and one settings read per site when the setting is kept. `pending` names the
   * drift that is the spec not applied yet (a site Keyless never attached, one dropped from the
   * spec), applied whatever the drift policy.
   */
  async observe(
    ctx: Context,
    apps: FunctionApps,
    identity: IdentityRef,
  ): Promise<{ functions: FunctionStatus[]; drift: Drift[]; pending: string[] }> {
    const functions: FunctionStatus[] = [];
    const drift: Drift[] = [];
    const pending: string[] = [];
    for (const site of apps.sites) {
      try {
        const found = await this.read(ctx, site);
        if (!found) {
          functions.push({ arn: site.id, state: 'Missing', message: `${site.id} does not exist` });
          continue;
        }
        const siteDrift: Drift[] = [];
        const has = hasIdentity(found.identity, identity.id);
        if (!has) {
          siteDrift.push({
            field: `${fieldOf(site)}.identity`,
            wanted: identity.id,
            found: describeSiteIdentity(found.identity),
          });
        }
        if (apps.setClientId) {
          const settings = await this.settings(ctx, site);
          if (settings[CLIENT_ID_SETTING] !== identity.clientId) {
            siteDrift.push({
              field: `${fieldOf(site)}.appSettings.${CLIENT_ID_SETTING}`,
              wanted: identity.clientId,
              found: settings[CLIENT_ID_SETTING] ?? 'absent',
            });
          }
        }
        drift.push(...siteDrift);
        if (!apps.attached.has(site.id.toLowerCase())) pending.push(...siteDrift.map((d) => d.field));
        functions.push(
          siteDrift.length > 0
            ? {
                arn: site.id,
                ...(has ? { role: identity.id } : {}),
                state: 'Drifted',
                message: `differs from the spec: ${siteDrift.map((d) => d.field).join(', ')}`,
              }
            : { arn: site.id, role: identity.id, state: 'Attached' },
        );
      } catch (err) {
        functions.push(problemStatus(site, err));
      }
    }
    for (const site of apps.released) {
      const field = `${fieldOf(site)}.identity`;
      try {
        const found = await this.read(ctx, site);
        if (found && hasIdentity(found.identity, identity.id)) {
          drift.push({ field, wanted: 'absent', found: identity.id });
          pending.push(field);
        }
      } catch (err) {
        const problem = problemStatus(site, err);
        if (problem.state === 'Missing') continue;
        // Still listed as Drifted, so every reconcile tries again until the operator may.
        drift.push({ field, wanted: 'absent', found: 'unknown (the site could not be read)' });
        pending.push(field);
        functions.push(stillAttached(site, identity, problem.message));
      }
    }
    return { functions, drift, pending };
  }

  /**
   * The sites whose drift `drift` lists: a GET, then a PATCH of the identity only if the site lacks
   * it (and the setting likewise). Returns each one's status.
   */
  async attach(
    ctx: Context,
    apps: FunctionApps,
    identity: IdentityRef,
    drift?: readonly Drift[],
  ): Promise<FunctionStatus[]> {
    const functions: FunctionStatus[] = [];
    for (const site of apps.sites.filter((s) => drifted(s, drift))) {
      try {
        const found = await this.read(ctx, site);
        if (!found) {
          functions.push({ arn: site.id, state: 'Missing', message: `${site.id} does not exist` });
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
        functions.push({ arn: site.id, role: identity.id, state: 'Attached' });
      } catch (err) {
        functions.push(problemStatus(site, err));
      }
    }
    return functions;
  }

  /**
   * Takes the identity off the sites the spec no longer names that `drift` lists. One that refuses
   * is returned still attached (Drifted, naming the permission) with its drift, so status keeps it
   * and the next reconcile tries again.
   */
  async release(
    ctx: Context,
    apps: FunctionApps,
    identity: IdentityRef,
    drift: readonly Drift[],
  ): Promise<{ functions: FunctionStatus[]; left: Drift[] }> {
    const functions: FunctionStatus[] = [];
    const left: Drift[] = [];
    for (const site of apps.released.filter((s) => drifted(s, drift))) {
      try {
        await this.detachSite(ctx, site, apps.setClientId, identity);
      } catch (err) {
        const problem = problemStatus(site, err);
        if (problem.state === 'Missing') continue;
        functions.push(stillAttached(site, identity, problem.message));
        left.push({ field: `${fieldOf(site)}.identity`, wanted: 'absent', found: identity.id });
      }
    }
    return { functions, left };
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
