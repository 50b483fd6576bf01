import { expect, it } from 'vitest';
import { identityName, identityResourceId } from '../../src/providers/azure/mapping.js';
import { type SiteJson, siteId } from '../support/azure-fake/index.js';
import {
  AZURE_ACCOUNT_NAME as ACCOUNT,
  type AzureBackend,
  azureWorld,
  AZURE_RESOURCE_GROUP as RG,
  AZURE_SUBSCRIPTION as SUB,
} from '../support/azure-world.js';
import { describeWithCloud } from '../support/cloud-world.js';
import {
  conditionOf,
  type Observed,
  waitForAccountReady,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, remove, waitFor } from '../support/kube-manifests.js';

const APPS = 'shop';
const site = (name: string) => ({ subscriptionId: SUB, resourceGroup: APPS, name });
const identityRef = (name: string) => ({
  subscriptionId: SUB,
  resourceGroup: RG,
  name: identityName({ cluster: 'it', namespace: 'shop', name, uid: '' }),
});
const idOf = (name: string) => identityResourceId(SUB, RG, identityRef(name).name);
const OTHER = identityResourceId(SUB, RG, 'deploy-tool');

const userAssigned = (found: SiteJson | undefined) =>
  Object.keys(found?.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase());

const functionIdentity = (name: string, sites: string[], spec: Record<string, unknown> = {}) =>
  workloadIdentity(name, ACCOUNT, {
    subjects: [
      {
        serverless: {
          platform: 'AzureFunction',
          functionApps: sites.map((s) => siteId(site(s))),
          setClientIdSetting: true,
        },
      },
    ],
    ...spec,
  });

describeWithCloud<AzureBackend>('Azure Functions run as the managed identity', azureWorld(), (world) => {
  const fake = () => world.backend().fake;

  it('adds the identity to each site, keeping its other identities and settings, at a known number of calls', async () => {
    await waitForAccountReady(world.admin(), ACCOUNT);
    fake().identities.create(
      { subscriptionId: SUB, resourceGroup: RG, name: 'deploy-tool' },
      {
        location: 'westeurope',
      },
    );
    fake().sites.create(site('orders-fn'), {
      systemAssigned: true,
      userAssignedIdentities: [OTHER],
      appSettings: { FUNCTIONS_WORKER_RUNTIME: 'node', AzureWebJobsStorage: 'conn' },
    });
    fake().sites.create(site('orders-web'), { kind: 'app' });
    fake().resetCounts();

    const identity = functionIdentity('orders', ['orders-fn', 'orders-web']);
    await apply(world.admin(), identity);
    const wi = await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
    const clientId = fake().identities.get(identityRef('orders'))?.properties.clientId;

    const fn = fake().sites.get(site('orders-fn'));
    expect(fn?.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(userAssigned(fn).sort()).toEqual([OTHER.toLowerCase(), idOf('orders').toLowerCase()].sort());
    expect(fake().sites.appSettings(site('orders-fn'))).toEqual({
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: 'conn',
      AZURE_CLIENT_ID: clientId,
    });
    expect(fake().sites.get(site('orders-web'))?.identity?.type).toBe('UserAssigned');
    expect(wi.status?.functions).toEqual([
      { arn: siteId(site('orders-fn')), role: idOf('orders'), state: 'Attached' },
      { arn: siteId(site('orders-web')), role: idOf('orders'), state: 'Attached' },
    ]);
    const sites = Object.fromEntries(
      Object.entries(fake().counts()).filter(([op]) => op.startsWith('sites.')),
    );
    console.info(`Azure first converge of one identity on two sites: ${JSON.stringify(fake().counts())}`);
    // Per site: one read and one PATCH for the identity, one read and one write for the setting.
    expect(sites).toMatchObject({ 'sites.patch': 2, 'sites.putSettings': 2 });
    expect(sites['sites.get']).toBe(sites['sites.listSettings']);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    fake().resetCounts();
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    const counts = fake().counts();
    console.info(`Azure resyncs of one identity on two sites over 4.5 s: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).filter((op) => /\.(put|delete|patch|putSettings)$/.test(op))).toEqual([]);
    expect(counts['sites.get']).toBeGreaterThan(0);
  });

  it('puts the identity and the setting back when they are taken off (Correct), other identities kept', async () => {
    fake().resetCounts();
    fake().sites.setIdentity(site('orders-fn'), { systemAssigned: true, userAssignedIdentities: [OTHER] });
    fake().sites.setAppSettings(site('orders-fn'), { FUNCTIONS_WORKER_RUNTIME: 'node' });
    await waitFor('the site runs as the identity again', () => {
      const fn = fake().sites.get(site('orders-fn'));
      return (
        userAssigned(fn).includes(idOf('orders').toLowerCase()) &&
        fake().sites.appSettings(site('orders-fn'))?.AZURE_CLIENT_ID !== undefined
      );
    });
    const fn = fake().sites.get(site('orders-fn'));
    expect(fn?.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(userAssigned(fn)).toContain(OTHER.toLowerCase());
    expect(fake().sites.appSettings(site('orders-fn'))?.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    // Only the drifted site is written; the other, attached, is only read.
    const writes = fake()
      .requests()
      .filter((r) => r.operation === 'sites.patch' || r.operation === 'sites.putSettings')
      .map((r) => `${r.operation} ${/\/sites\/([^/]+)/.exec(r.path)?.[1]}`);
    expect(writes).toEqual(['sites.patch orders-fn', 'sites.putSettings orders-fn']);
  });

  it('reports a site that lost the identity under Report, and changes nothing', async () => {
    fake().sites.create(site('audit-fn'));
    const reporter = functionIdentity('audit', ['audit-fn'], { driftPolicy: 'Report' });
    await apply(world.admin(), reporter);
    await waitForCondition(world.admin(), reporter, 'Ready', { status: 'True' });
    fake().sites.setIdentity(site('audit-fn'), { systemAssigned: true });
    const drifted = await waitForCondition(world.admin(), reporter, 'Drifted', { status: 'True' });
    expect(drifted.status?.drift).toContainEqual({
      field: `functionApps[${siteId(site('audit-fn'))}].identity`,
      wanted: idOf('audit'),
      found: 'SystemAssigned',
    });
    expect(drifted.status?.functions).toMatchObject([{ arn: siteId(site('audit-fn')), state: 'Drifted' }]);
    expect(fake().sites.get(site('audit-fn'))?.identity?.type).toBe('SystemAssigned');
  });

  it('attaches a site created after the spec was applied, under Report too', async () => {
    const late = functionIdentity('late', ['late-fn'], { driftPolicy: 'Report' });
    await apply(world.admin(), late);
    await waitForCondition(world.admin(), late, 'Ready', { status: 'False', reason: 'FunctionNotFound' });
    fake().sites.create(site('late-fn'));
    await waitForCondition(world.admin(), late, 'Ready', { status: 'True' });
    expect(userAssigned(fake().sites.get(site('late-fn')))).toEqual([idOf('late').toLowerCase()]);
  });

  it('names a missing site and a refused one with the permission, while the other site converges', async () => {
    fake().sites.create(site('pay-fn'));
    fake().sites.create(site('pay-locked'));
    const identity = functionIdentity('pay', ['pay-fn', 'pay-gone']);
    await apply(world.admin(), identity);
    const missing = await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'False',
      reason: 'FunctionNotFound',
    });
    expect(conditionOf(missing, 'Ready')?.message).toContain(siteId(site('pay-gone')));
    expect(userAssigned(fake().sites.get(site('pay-fn')))).toEqual([idOf('pay').toLowerCase()]);
    expect(missing.status?.functions).toEqual([
      { arn: siteId(site('pay-fn')), role: idOf('pay'), state: 'Attached' },
      {
        arn: siteId(site('pay-gone')),
        state: 'Missing',
        message: `${siteId(site('pay-gone'))} does not exist`,
      },
    ]);

    fake().inject({
      operation: 'sites.patch',
      when: (request) => request.path.toLowerCase().endsWith('/pay-locked'),
      fault: { kind: 'authorizationFailed' },
    });
    await apply(world.admin(), functionIdentity('pay', ['pay-fn', 'pay-locked']));
    const refused = await waitForCondition(world.admin(), identity, 'Ready', {
      status: 'False',
      reason: 'FunctionAccessDenied',
    });
    const message = conditionOf(refused, 'Ready')?.message ?? '';
    expect(message).toContain(siteId(site('pay-locked')));
    expect(message).toContain('Microsoft.Web/sites/write');
    expect(message).toContain('Microsoft.ManagedIdentity/userAssignedIdentities/assign/action');
    expect(refused.status?.functions?.map((f) => f.state)).toEqual(['Attached', 'Forbidden']);
    // Not corrected, so still drift.
    expect(refused.status?.drift?.map((d) => d.field)).toContain(
      `functionApps[${siteId(site('pay-locked'))}].identity`,
    );
    expect(fake().sites.get(site('pay-locked'))?.identity).toBeUndefined();
    fake().clearFaults();
  });

  it('takes the identity and its setting off a site dropped from the spec, and lists it no more', async () => {
    fake().sites.create(site('ship-a'));
    fake().sites.create(site('ship-b'), { appSettings: { KEEP: 'me' } });
    const both = functionIdentity('ship', ['ship-a', 'ship-b']);
    await apply(world.admin(), both);
    await waitForCondition(world.admin(), both, 'Ready', { status: 'True' });
    expect(userAssigned(fake().sites.get(site('ship-b')))).toEqual([idOf('ship').toLowerCase()]);

    // Refused at first: ship-b stays listed (Drifted, naming the permission) and is tried again.
    const refusal = fake().inject({
      operation: 'sites.patch',
      when: (request) => request.path.toLowerCase().endsWith('/ship-b'),
      fault: { kind: 'authorizationFailed' },
    });
    await apply(world.admin(), functionIdentity('ship', ['ship-a']));
    await waitFor('ship-b listed as not released', async () => {
      const current = (await get(world.admin(), both)) as Observed | undefined;
      const b = current?.status?.functions?.find((f) => f.arn === siteId(site('ship-b')));
      return b?.state === 'Drifted' && b.message?.includes('Microsoft.Web/sites/write');
    });
    expect(refusal.applied()).toBeGreaterThan(0);
    refusal.remove();
    await waitFor('ship-b released', () => fake().sites.get(site('ship-b'))?.identity === undefined);
    expect(fake().sites.appSettings(site('ship-b'))).toEqual({ KEEP: 'me' });
    expect(userAssigned(fake().sites.get(site('ship-a')))).toEqual([idOf('ship').toLowerCase()]);
    await waitFor('status lists ship-a only', async () => {
      const current = (await get(world.admin(), both)) as Observed | undefined;
      return current?.status?.functions?.map((f) => f.arn).join() === siteId(site('ship-a'));
    });
  });

  it('on delete takes off only its identity and its own setting value; Retain leaves the site alone', async () => {
    // A site whose AZURE_CLIENT_ID someone else changed keeps it (Report: Keyless does not put it back).
    fake().sites.create(site('notify-fn'), { appSettings: { LOG_LEVEL: 'info' } });
    const notify = functionIdentity('notify', ['notify-fn'], { driftPolicy: 'Report' });
    await apply(world.admin(), notify);
    await waitForCondition(world.admin(), notify, 'Ready', { status: 'True' });
    fake().sites.setAppSettings(site('notify-fn'), { LOG_LEVEL: 'info', AZURE_CLIENT_ID: 'someone-else' });

    // Retain: the Report identity made Retain (a spec change, applied: the identity goes back on).
    const kept = functionIdentity('audit', ['audit-fn'], { driftPolicy: 'Report', deletionPolicy: 'Retain' });
    await apply(world.admin(), kept);
    await waitFor('the retained identity attached', () =>
      userAssigned(fake().sites.get(site('audit-fn'))).includes(idOf('audit').toLowerCase()),
    );
    await waitForCondition(world.admin(), kept, 'Ready', { status: 'True' });
    const auditBefore = [fake().sites.get(site('audit-fn')), fake().sites.appSettings(site('audit-fn'))];

    const orders = functionIdentity('orders', ['orders-fn', 'orders-web']);
    const objects = [orders, notify, kept];
    for (const object of objects) await remove(world.admin(), object);
    for (const object of objects)
      await waitFor(
        `${object.metadata.name} gone`,
        async () => (await get(world.admin(), object)) === undefined,
        30_000,
      );

    const fn = fake().sites.get(site('orders-fn'));
    expect(fn?.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(userAssigned(fn)).toEqual([OTHER.toLowerCase()]);
    expect(fake().sites.appSettings(site('orders-fn'))).toEqual({ FUNCTIONS_WORKER_RUNTIME: 'node' });
    expect(fake().sites.get(site('orders-web'))?.identity).toBeUndefined();
    expect(fake().sites.appSettings(site('orders-web'))).toEqual({});
    expect(fake().identities.get(identityRef('orders'))).toBeUndefined();

    expect(fake().sites.get(site('notify-fn'))?.identity).toBeUndefined();
    expect(fake().sites.appSettings(site('notify-fn'))).toEqual({
      LOG_LEVEL: 'info',
      AZURE_CLIENT_ID: 'someone-else',
    });

    expect([fake().sites.get(site('audit-fn')), fake().sites.appSettings(site('audit-fn'))]).toEqual(
      auditBefore,
    );
    expect(fake().identities.get(identityRef('audit'))).toBeDefined();
  });
});
