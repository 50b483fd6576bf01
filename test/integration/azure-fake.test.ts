/**
 * The Azure fake with the real Azure SDK clients (@azure/arm-msi 2.2.0, @azure/arm-authorization 9.0.0):
 * what each call sends and gets back, and what the SDK makes of each ARM error (recorded here, and in
 * test/support/azure-fake/README.md).
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Identity, ManagedServiceIdentityClient } from '@azure/arm-msi';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AzureClients,
  type AzureFake,
  type AzureFakeOptions,
  azureClients,
  IDENTITY_TYPE,
  type IdentityRef,
  StaticTokenCredential,
  startAzureFake,
} from '../support/azure-fake/index.js';

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const RG = 'keyless-rg';
const RG_SCOPE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`;
const ISSUER = 'https://oidc.example.test/cluster-1';
const AUDIENCE = 'api://AzureADTokenExchange';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const roleDefinitionId = (guid: string) =>
  `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const ref = (name: string): IdentityRef => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name });

/** A deterministic role assignment name, as Keyless derives one (any stable hash formatted as a GUID). */
function assignmentName(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** What the SDK rejects with: a `RestError` from @azure/core-rest-pipeline. */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
  details?: unknown;
  response?: {
    status: number;
    headers: { get(name: string): string | undefined };
    bodyAsText?: string | null;
  };
}

async function rejectionOf(call: Promise<unknown>): Promise<RestErrorLike> {
  try {
    await call;
  } catch (error) {
    return error as RestErrorLike;
  }
  throw new Error('expected the call to fail');
}

/** The HTTP status of each response the SDK received, through the operation's `onResponse`. */
function statusRecorder() {
  const statuses: number[] = [];
  return { statuses, options: { onResponse: (raw: { status: number }) => void statuses.push(raw.status) } };
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request the SDK would never send (no token, no api-version, odd paths), straight to the fake. */
function rawRequest(
  fake: AzureFake,
  method: string,
  path: string,
  headers: Record<string, string> = { authorization: 'Bearer raw' },
  body?: unknown,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port: fake.port, method, path, headers, ca: fake.caPem, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const item of items) result.push(item);
  return result;
}

describe('Azure fake with the real SDK clients', () => {
  let fake: AzureFake | undefined;

  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  async function start(options: AzureFakeOptions = {}): Promise<{ fake: AzureFake; clients: AzureClients }> {
    fake = await startAzureFake({
      subscriptions: [{ subscriptionId: SUBSCRIPTION, tenantId: TENANT, resourceGroups: [RG] }],
      ficWriteMs: 5,
      ...options,
    });
    return { fake, clients: azureClients(fake, { subscriptionId: SUBSCRIPTION }) };
  }

  describe('user-assigned identities', () => {
    it('creates (201), re-PUTs idempotently (200, same ids, tags replaced), patches tags, deletes (200, then 204)', async () => {
      const { fake, clients } = await start();
      const { msi } = clients;
      const record = statusRecorder();

      const created = await msi.userAssignedIdentities.createOrUpdate(
        RG,
        'orders-api',
        { location: 'West Europe', tags: { team: 'shop', owner: 'keyless' } },
        record.options,
      );
      expect(created).toMatchObject({
        // Microsoft.ManagedIdentity writes `resourcegroups` in lower case in the ids it returns.
        id: `/subscriptions/${SUBSCRIPTION}/resourcegroups/${RG}/providers/${IDENTITY_TYPE}/orders-api`,
        name: 'orders-api',
        type: IDENTITY_TYPE,
        location: 'westeurope',
        tags: { team: 'shop', owner: 'keyless' },
        tenantId: TENANT,
      });
      expect(created.principalId).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.clientId).toMatch(/^[0-9a-f-]{36}$/);

      const again = await msi.userAssignedIdentities.createOrUpdate(
        RG,
        'orders-api',
        { location: 'westeurope', tags: { team: 'payments' } },
        record.options,
      );
      expect(again).toMatchObject({ principalId: created.principalId, clientId: created.clientId });
      expect(again.tags).toEqual({ team: 'payments' });

      const patched = await msi.userAssignedIdentities.update(
        RG,
        'orders-api',
        { tags: { a: 'b' } },
        record.options,
      );
      expect(patched.tags).toEqual({ a: 'b' });
      expect(await msi.userAssignedIdentities.get(RG, 'ORDERS-API')).toMatchObject({
        clientId: created.clientId,
      });

      await msi.userAssignedIdentities.delete(RG, 'orders-api', record.options);
      await msi.userAssignedIdentities.delete(RG, 'orders-api', record.options);
      expect(record.statuses).toEqual([201, 200, 200, 200, 204]);
      expect(fake.identities.get(ref('orders-api'))).toBeUndefined();

      const missing = await rejectionOf(msi.userAssignedIdentities.get(RG, 'orders-api'));
      expect(missing).toMatchObject({ name: 'RestError', statusCode: 404, code: 'ResourceNotFound' });
      expect(missing.message).toBe(
        `The Resource '${IDENTITY_TYPE}/orders-api' under resource group '${RG}' was not found. ` +
          'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
      );
      expect(fake.counts()).toEqual({
        'identities.put': 2,
        'identities.patch': 1,
        'identities.get': 2,
        'identities.delete': 2,
      });
    });

    it('answers ResourceGroupNotFound, SubscriptionNotFound, LocationRequired and InvalidResourceLocation', async () => {
      const { fake, clients } = await start();
      expect(
        await rejectionOf(
          clients.msi.userAssignedIdentities.createOrUpdate('nope', 'x-id', { location: 'westeurope' }),
        ),
      ).toMatchObject({
        statusCode: 404,
        code: 'ResourceGroupNotFound',
        message: "Resource group 'nope' could not be found.",
      });

      const other = azureClients(fake, { subscriptionId: '99999999-0000-0000-0000-000000000000' });
      expect(await rejectionOf(other.msi.userAssignedIdentities.get(RG, 'x-id'))).toMatchObject({
        statusCode: 404,
        code: 'SubscriptionNotFound',
      });

      // The SDK checks required properties before sending: a plain Error, no request.
      const noLocation = await rejectionOf(
        clients.msi.userAssignedIdentities.createOrUpdate(RG, 'x-id', {} as Identity),
      );
      expect(noLocation.name).toBe('Error');
      expect(noLocation.message).toBe(
        'Error "parameters.location cannot be null or undefined." occurred in serializing the payload - undefined.',
      );
      expect(fake.counts()).toEqual({ 'identities.put': 1, 'identities.get': 1 });
      const identityPath = `${RG_SCOPE}/providers/${IDENTITY_TYPE}/x-id?api-version=2024-11-30`;
      const raw = await rawRequest(fake, 'PUT', identityPath, { authorization: 'Bearer raw' }, { tags: {} });
      expect(raw.status).toBe(400);
      expect(JSON.parse(raw.body).error).toEqual({
        code: 'LocationRequired',
        message: 'The location property is required for this definition.',
      });
      await clients.msi.userAssignedIdentities.createOrUpdate(RG, 'x-id', { location: 'westeurope' });
      expect(
        await rejectionOf(
          clients.msi.userAssignedIdentities.createOrUpdate(RG, 'x-id', { location: 'eastus' }),
        ),
      ).toMatchObject({ statusCode: 409, code: 'InvalidResourceLocation' });
    });

    it('lists by resource group, following nextLink pages', async () => {
      const { fake, clients } = await start({ pageSize: 2 });
      for (const name of ['id-a', 'id-b', 'id-c']) {
        fake.identities.create(ref(name), { location: 'westeurope' });
      }
      const listed = await all(clients.msi.userAssignedIdentities.listByResourceGroup(RG));
      expect(listed.map((identity) => identity.name)).toEqual(['id-a', 'id-b', 'id-c']);
      expect(fake.counts()).toEqual({ 'identities.list': 2 });
      const inSubscription = await all(clients.msi.userAssignedIdentities.listBySubscription());
      expect(inSubscription).toHaveLength(3);
    });
  });

  describe('federated identity credentials', () => {
    const credential = (subject: string) => ({ issuer: ISSUER, subject, audiences: [AUDIENCE] });

    it('creates (201), updates (200), gets, lists across nextLink pages and deletes (200, then 204)', async () => {
      const { fake, clients } = await start({ pageSize: 3 });
      const { msi } = clients;
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      const record = statusRecorder();

      const created = await msi.federatedIdentityCredentials.createOrUpdate(
        RG,
        'orders-api',
        'sa-0',
        credential('system:serviceaccount:shop:sa-0'),
        record.options,
      );
      expect(created).toEqual({
        id: `/subscriptions/${SUBSCRIPTION}/resourcegroups/${RG}/providers/${IDENTITY_TYPE}/orders-api/federatedIdentityCredentials/sa-0`,
        name: 'sa-0',
        type: `${IDENTITY_TYPE}/federatedIdentityCredentials`,
        issuer: ISSUER,
        subject: 'system:serviceaccount:shop:sa-0',
        audiences: [AUDIENCE],
      });
      await msi.federatedIdentityCredentials.createOrUpdate(
        RG,
        'orders-api',
        'sa-0',
        credential('system:serviceaccount:shop:renamed'),
        record.options,
      );
      for (let index = 1; index < 7; index++) {
        await msi.federatedIdentityCredentials.createOrUpdate(
          RG,
          'orders-api',
          `sa-${index}`,
          credential(`system:serviceaccount:shop:sa-${index}`),
        );
      }
      expect(await msi.federatedIdentityCredentials.get(RG, 'orders-api', 'sa-0')).toMatchObject({
        subject: 'system:serviceaccount:shop:renamed',
      });

      fake.resetCounts();
      const listed = await all(msi.federatedIdentityCredentials.list(RG, 'orders-api'));
      expect(listed.map((item) => item.name)).toEqual([
        'sa-0',
        'sa-1',
        'sa-2',
        'sa-3',
        'sa-4',
        'sa-5',
        'sa-6',
      ]);
      // 7 credentials, 3 a page: the first request and two absolute next links (which carry the api-version).
      expect(fake.counts()).toEqual({ 'federatedCredentials.list': 3 });
      expect(fake.requests().map((request) => request.apiVersion)).toEqual([
        '2024-11-30',
        '2024-11-30',
        '2024-11-30',
      ]);

      await msi.federatedIdentityCredentials.delete(RG, 'orders-api', 'sa-0', record.options);
      await msi.federatedIdentityCredentials.delete(RG, 'orders-api', 'sa-0', record.options);
      expect(record.statuses).toEqual([201, 200, 200, 204]);
      expect(fake.federatedCredentials.list(ref('orders-api'))).toHaveLength(6);

      const missingParent = await rejectionOf(
        msi.federatedIdentityCredentials.createOrUpdate(RG, 'nobody', 'sa-0', credential('s')),
      );
      expect(missingParent).toMatchObject({
        statusCode: 404,
        message: 'The parent user-assigned identity does not exist.',
      });
    });

    it('refuses a second write on the same identity while one is in flight (409), not on another identity', async () => {
      const { fake, clients } = await start({ ficWriteMs: 200 });
      const { msi } = clients;
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      fake.identities.create(ref('billing'), { location: 'westeurope' });

      // Which of the two writes on orders-api arrives first is up to the network; exactly one wins.
      const [first, second, other] = await Promise.allSettled([
        msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'first', credential('s1')),
        msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'second', credential('s2')),
        msi.federatedIdentityCredentials.createOrUpdate(RG, 'billing', 'third', credential('s3')),
      ]);
      expect(other?.status).toBe('fulfilled');
      expect([first?.status, second?.status].sort()).toEqual(['fulfilled', 'rejected']);
      const winner = first?.status === 'fulfilled' ? 'first' : 'second';
      const conflict = [first, second].flatMap((result) =>
        result?.status === 'rejected' ? [result.reason as RestErrorLike] : [],
      )[0];
      expect(conflict?.name).toBe('RestError');
      expect(conflict?.statusCode).toBe(409);
      expect(conflict?.code).toBe('ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity');
      expect(conflict?.message).toBe(
        'Too many Federated Identity Credentials are written concurrently for the managed identity ' +
          `'/subscriptions/${SUBSCRIPTION}/resourcegroups/${RG}/providers/microsoft.managedidentity/userassignedidentities/orders-api'. ` +
          'Concurrent Federated Identity Credentials writes under the same managed identity are not supported.',
      );
      // Azure sends no Retry-After with this 409; the SDK reads headers case-insensitively.
      expect(conflict?.response?.headers.get('retry-after')).toBeUndefined();
      expect(conflict?.response?.status).toBe(409);
      expect(fake.federatedCredentials.list(ref('orders-api')).map((item) => item.name)).toEqual([winner]);

      // A delete counts as a write too.
      const writes = await Promise.allSettled([
        msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'another', credential('s4')),
        msi.federatedIdentityCredentials.delete(RG, 'orders-api', winner),
      ]);
      expect(writes.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(fake.counts()).toEqual({ 'federatedCredentials.put': 4, 'federatedCredentials.delete': 1 });
    });

    it('allows at most 20 credentials per identity and one credential per issuer and subject', async () => {
      const { fake, clients } = await start();
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      for (let index = 0; index < 20; index++) {
        fake.federatedCredentials.put(ref('orders-api'), `sa-${index}`, {
          issuer: ISSUER,
          subject: `s-${index}`,
        });
      }
      const overLimit = await rejectionOf(
        clients.msi.federatedIdentityCredentials.createOrUpdate(
          RG,
          'orders-api',
          'sa-20',
          credential('s-20'),
        ),
      );
      expect(overLimit).toMatchObject({ name: 'RestError', statusCode: 400, code: 'BadRequest' });
      expect(overLimit.message).toContain('at most 20 federated identity credentials');
      // Replacing one of the 20 is fine.
      await clients.msi.federatedIdentityCredentials.createOrUpdate(
        RG,
        'orders-api',
        'sa-19',
        credential('s-19b'),
      );

      const duplicate = await rejectionOf(
        clients.msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'sa-18', credential('s-0')),
      );
      expect(duplicate).toMatchObject({
        statusCode: 400,
        code: 'BadRequest',
        message: 'Issuer and subject combination already exists for this Managed Identity.',
      });
      const twoAudiences = await rejectionOf(
        clients.msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'sa-0', {
          issuer: ISSUER,
          subject: 's-0',
          audiences: [AUDIENCE, 'other'],
        }),
      );
      expect(twoAudiences).toMatchObject({
        statusCode: 400,
        message: 'Federated identity credentials must have exactly one audience.',
      });
    });
  });

  describe('role assignments and definitions', () => {
    it('creates with a deterministic GUID (201), re-PUTs (200), refuses changes and duplicates (409)', async () => {
      const { fake, clients } = await start();
      const { authorization } = clients;
      const identity = fake.identities.create(ref('orders-api'), { location: 'westeurope', createdAt: 0 });
      const principalId = identity.properties.principalId;
      const scope = `${RG_SCOPE}/providers/Microsoft.Storage/storageAccounts/invoices`;
      const name = assignmentName(scope, principalId, READER);
      const record = statusRecorder();
      const reader = {
        roleDefinitionId: roleDefinitionId(READER),
        principalId,
        principalType: 'ServicePrincipal',
      };

      const created = await authorization.roleAssignments.create(scope, name, reader, record.options);
      expect(created).toMatchObject({
        id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        name,
        type: 'Microsoft.Authorization/roleAssignments',
        scope,
        roleDefinitionId: roleDefinitionId(READER),
        principalId,
        principalType: 'ServicePrincipal',
      });
      await authorization.roleAssignments.create(scope, name, reader, record.options);
      expect(record.statuses).toEqual([201, 200]);
      expect(await authorization.roleAssignments.get(scope, name)).toMatchObject({ principalId });

      const changed = await rejectionOf(
        authorization.roleAssignments.create(scope, name, {
          ...reader,
          roleDefinitionId: roleDefinitionId(CONTRIBUTOR),
        }),
      );
      expect(changed).toMatchObject({
        statusCode: 409,
        code: 'RoleAssignmentUpdateNotPermitted',
        message: 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
      });
      const duplicate = await rejectionOf(
        authorization.roleAssignments.create(scope, assignmentName('another'), reader),
      );
      expect(duplicate).toMatchObject({
        statusCode: 409,
        code: 'RoleAssignmentExists',
        message: 'The role assignment already exists.',
      });
      expect(
        await rejectionOf(authorization.roleAssignments.create(scope, 'not-a-guid', reader)),
      ).toMatchObject({
        statusCode: 400,
        code: 'InvalidRoleAssignmentId',
      });
      expect(
        await rejectionOf(
          authorization.roleAssignments.create(scope, assignmentName('x'), {
            ...reader,
            roleDefinitionId: roleDefinitionId('00000000-0000-0000-0000-000000000000'),
          }),
        ),
      ).toMatchObject({ statusCode: 400, code: 'RoleDefinitionDoesNotExist' });

      const listed = await all(
        authorization.roleAssignments.listForScope(RG_SCOPE, { filter: `principalId eq '${principalId}'` }),
      );
      expect(listed.map((assignment) => assignment.name)).toEqual([name]);
      expect(
        await all(authorization.roleAssignments.listForScope(RG_SCOPE, { filter: 'atScope()' })),
      ).toEqual([]);

      const deleted = await authorization.roleAssignments.delete(scope, name, record.options);
      expect(deleted.name).toBe(name);
      await authorization.roleAssignments.delete(scope, name, record.options);
      expect(record.statuses.slice(2)).toEqual([200, 204]);
      const gone = await rejectionOf(authorization.roleAssignments.get(scope, name));
      expect(gone).toMatchObject({ statusCode: 404, code: 'RoleAssignmentNotFound' });

      // A role definition id without the subscription comes back subscription-qualified.
      const unqualified = await authorization.roleAssignments.create(
        RG_SCOPE,
        assignmentName('unqualified'),
        {
          ...reader,
          roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
        },
      );
      expect(unqualified.roleDefinitionId).toBe(roleDefinitionId(CONTRIBUTOR));
    });

    it('answers PrincipalNotFound during the replication window, then creates the assignment', async () => {
      let clock = 1_000_000;
      const { fake, clients } = await start({ principalReplicationMs: 30_000, now: () => clock });
      const { msi, authorization } = clients;
      const identity = await msi.userAssignedIdentities.createOrUpdate(RG, 'orders-api', {
        location: 'westeurope',
      });
      const principalId = identity.principalId ?? '';
      const name = assignmentName(RG_SCOPE, principalId, READER);
      const reader = { roleDefinitionId: roleDefinitionId(READER), principalId };

      const notYet = await rejectionOf(authorization.roleAssignments.create(RG_SCOPE, name, reader));
      expect(notYet).toMatchObject({ name: 'RestError', statusCode: 400, code: 'PrincipalNotFound' });
      expect(notYet.message).toMatch(
        new RegExp(
          `^Principal ${principalId} does not exist in the directory ${TENANT}\\. Check that you have`,
        ),
      );
      expect(notYet.response?.headers.get('retry-after')).toBeUndefined();

      // Setting principalType skips Azure's lookup, which is how Azure says to avoid the error.
      const typed = await authorization.roleAssignments.create(RG_SCOPE, assignmentName('typed'), {
        roleDefinitionId: roleDefinitionId(CONTRIBUTOR),
        principalId,
        principalType: 'ServicePrincipal',
      });
      expect(typed.principalType).toBe('ServicePrincipal');

      clock += 30_000;
      const created = await authorization.roleAssignments.create(RG_SCOPE, name, reader);
      expect(created).toMatchObject({ principalId, principalType: 'ServicePrincipal' });

      const unknown = await rejectionOf(
        authorization.roleAssignments.create(RG_SCOPE, assignmentName('unknown'), {
          roleDefinitionId: roleDefinitionId(READER),
          principalId: '12345678-0000-0000-0000-000000000000',
        }),
      );
      expect(unknown).toMatchObject({ statusCode: 400, code: 'PrincipalNotFound' });
      expect(fake.counts()).toEqual({ 'identities.put': 1, 'roleAssignments.put': 4 });
    });

    it('finds role definitions by roleName at a scope and by id', async () => {
      const { fake, clients } = await start();
      const { authorization } = clients;
      const found = await all(
        authorization.roleDefinitions.list(RG_SCOPE, { filter: "roleName eq 'Reader'" }),
      );
      expect(found).toEqual([
        expect.objectContaining({
          id: roleDefinitionId(READER),
          name: READER,
          type: 'Microsoft.Authorization/roleDefinitions',
          roleName: 'Reader',
          roleType: 'BuiltInRole',
          assignableScopes: ['/'],
          permissions: [expect.objectContaining({ actions: ['*/read'] })],
        }),
      ]);
      expect(await authorization.roleDefinitions.getById(roleDefinitionId(CONTRIBUTOR))).toMatchObject({
        roleName: 'Contributor',
      });
      expect(await authorization.roleDefinitions.get(`/subscriptions/${SUBSCRIPTION}`, READER)).toMatchObject(
        {
          roleName: 'Reader',
        },
      );
      expect(
        await rejectionOf(
          all(authorization.roleDefinitions.list(RG_SCOPE, { filter: "description eq 'x'" })),
        ),
      ).toMatchObject({ statusCode: 400, code: 'UnsupportedQuery' });
      // A scope with a leading slash goes out as //subscriptions/...; the fake collapses the slashes.
      expect(fake.requests().map((request) => [request.operation, request.path, request.apiVersion])).toEqual(
        [
          [
            'roleDefinitions.list',
            `${RG_SCOPE}/providers/Microsoft.Authorization/roleDefinitions`,
            '2022-04-01',
          ],
          [
            'roleDefinitions.get',
            `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
            '2022-04-01',
          ],
          [
            'roleDefinitions.get',
            `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
            '2022-04-01',
          ],
          [
            'roleDefinitions.list',
            `${RG_SCOPE}/providers/Microsoft.Authorization/roleDefinitions`,
            '2022-04-01',
          ],
        ],
      );
    });
  });

  describe('faults and what the SDK makes of them', () => {
    it('an accepted (202) identity delete is an error to the SDK; the operation URLs report progress', async () => {
      let clock = 5_000;
      const { fake, clients } = await start({ now: () => clock });
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      fake.inject({
        operation: 'identities.delete',
        times: 1,
        fault: { kind: 'acceptedDelete', completeAfterMs: 10_000 },
      });

      const accepted = await rejectionOf(clients.msi.userAssignedIdentities.delete(RG, 'orders-api'));
      // The generated clients do not poll: 202 is not among the delete's expected statuses.
      expect(accepted.name).toBe('RestError');
      expect(accepted.statusCode).toBe(202);
      expect(accepted.code).toBeUndefined();
      expect(accepted.message).toBe('');
      const statusUrl = accepted.response?.headers.get('azure-asyncoperation') ?? '';
      const resultUrl = accepted.response?.headers.get('location') ?? '';
      expect(statusUrl).toMatch(
        new RegExp(
          `^${fake.endpoint}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ManagedIdentity/locations/westeurope/operationStatuses/[0-9a-f-]{36}\\?api-version=2024-11-30$`,
        ),
      );
      expect(accepted.response?.headers.get('retry-after')).toBe('1');

      const path = (url: string) => url.slice(fake.endpoint.length);
      expect(JSON.parse((await rawRequest(fake, 'GET', path(statusUrl))).body)).toMatchObject({
        status: 'InProgress',
      });
      expect((await rawRequest(fake, 'GET', path(resultUrl))).status).toBe(202);
      expect(await clients.msi.userAssignedIdentities.get(RG, 'orders-api')).toMatchObject({
        name: 'orders-api',
      });

      clock += 10_000;
      expect(JSON.parse((await rawRequest(fake, 'GET', path(statusUrl))).body)).toMatchObject({
        status: 'Succeeded',
      });
      expect((await rawRequest(fake, 'GET', path(resultUrl))).status).toBe(204);
      expect(await rejectionOf(clients.msi.userAssignedIdentities.get(RG, 'orders-api'))).toMatchObject({
        statusCode: 404,
      });
    });

    it('429 with Retry-After: an error without retries; with retries the SDK waits and succeeds', async () => {
      const { fake, clients } = await start();
      fake.inject({
        operation: 'identities.get',
        times: 1,
        fault: { kind: 'throttled', retryAfterSeconds: 7 },
      });
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      const throttled = await rejectionOf(clients.msi.userAssignedIdentities.get(RG, 'orders-api'));
      expect(throttled).toMatchObject({
        name: 'RestError',
        statusCode: 429,
        code: 'SubscriptionRequestsThrottled',
      });
      expect(throttled.response?.headers.get('retry-after')).toBe('7');
      expect(throttled.response?.headers.get('Retry-After')).toBe('7');

      const retrying = azureClients(fake, { subscriptionId: SUBSCRIPTION, retryOptions: { maxRetries: 1 } });
      fake.inject({
        operation: 'identities.get',
        times: 1,
        fault: { kind: 'throttled', retryAfterSeconds: 1 },
      });
      fake.resetCounts();
      const started = Date.now();
      await retrying.msi.userAssignedIdentities.get(RG, 'orders-api');
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(fake.counts()).toEqual({ 'identities.get': 2 });

      // Without Retry-After the SDK does not retry a 429 at all (its exponential strategy is for 5xx and 408).
      fake.inject({ operation: 'identities.get', times: 1, fault: { kind: 'throttled' } });
      fake.resetCounts();
      const bare = await rejectionOf(retrying.msi.userAssignedIdentities.get(RG, 'orders-api'));
      expect(bare).toMatchObject({ statusCode: 429 });
      expect(bare.response?.headers.get('retry-after')).toBeUndefined();
      expect(fake.counts()).toEqual({ 'identities.get': 1 });

      // A 503 without Retry-After is retried, with exponential backoff.
      fake.inject({
        operation: 'identities.get',
        times: 1,
        fault: { kind: 'error', status: 503, code: 'ServiceUnavailable', message: 'try again' },
      });
      fake.resetCounts();
      await retrying.msi.userAssignedIdentities.get(RG, 'orders-api');
      expect(fake.counts()).toEqual({ 'identities.get': 2 });
    });

    it('403 AuthorizationFailed names the caller, the action and the scope', async () => {
      const { fake, clients } = await start();
      fake.inject({ operation: 'identities.put', times: 1, fault: { kind: 'authorizationFailed' } });
      const denied = await rejectionOf(
        clients.msi.userAssignedIdentities.createOrUpdate(RG, 'orders-api', { location: 'westeurope' }),
      );
      expect(denied).toMatchObject({ name: 'RestError', statusCode: 403, code: 'AuthorizationFailed' });
      expect(denied.message).toBe(
        `The client '${fake.caller.clientId}' with object id '${fake.caller.objectId}' does not have authorization to ` +
          "perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/write' over scope " +
          `'${RG_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api' or the scope is invalid. ` +
          'If access was recently granted, please refresh your credentials.',
      );

      fake.inject({
        operation: 'roleAssignments.put',
        times: 1,
        fault: { kind: 'roleAssignmentLimitExceeded' },
      });
      const limited = await rejectionOf(
        clients.authorization.roleAssignments.create(RG_SCOPE, assignmentName('limit'), {
          roleDefinitionId: roleDefinitionId(READER),
          principalId: 'p',
          principalType: 'ServicePrincipal',
        }),
      );
      expect(limited).toMatchObject({ statusCode: 400, code: 'RoleAssignmentLimitExceeded' });
    });

    it('401 for a bad bearer token (the SDK does not retry it) and for a missing one', async () => {
      const { fake } = await start({ acceptToken: (token) => token === 'good' });
      const bad = azureClients(fake, {
        subscriptionId: SUBSCRIPTION,
        credential: new StaticTokenCredential('bad'),
      });
      const rejected = await rejectionOf(bad.msi.userAssignedIdentities.get(RG, 'orders-api'));
      expect(rejected).toMatchObject({
        name: 'RestError',
        statusCode: 401,
        code: 'InvalidAuthenticationToken',
        message: 'The access token is invalid.',
      });
      expect(fake.counts()).toEqual({ 'identities.get': 1 });

      const path = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/${IDENTITY_TYPE}/x?api-version=2024-11-30`;
      const anonymous = await rawRequest(fake, 'GET', path, {});
      expect(anonymous.status).toBe(401);
      expect(JSON.parse(anonymous.body)).toEqual({
        error: {
          code: 'AuthenticationFailed',
          message: "Authentication failed. The 'Authorization' header is missing.",
        },
      });
    });

    it('requires a supported api-version and serves paths with doubled slashes', async () => {
      const { fake } = await start();
      const identityPath = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/${IDENTITY_TYPE}/orders-api`;
      const missing = await rawRequest(fake, 'GET', identityPath);
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.body).error.code).toBe('MissingApiVersionParameter');
      const unsupported = await rawRequest(fake, 'GET', `${identityPath}?api-version=2099-01-01`);
      expect(JSON.parse(unsupported.body).error.code).toBe('NoRegisteredProviderFound');

      const doubled = await rawRequest(
        fake,
        'GET',
        `//subscriptions/${SUBSCRIPTION}//providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20'Storage%20Blob%20Data%20Reader'`,
      );
      expect(doubled.status).toBe(200);
      expect(JSON.parse(doubled.body).value.map((role: { name: string }) => role.name)).toEqual([
        '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
      ]);
      expect((await rawRequest(fake, 'GET', '/nothing/here?api-version=1')).status).toBe(404);
      expect(fake.counts()).toEqual({ 'identities.get': 2, 'roleDefinitions.list': 1, unrouted: 1 });
    });

    it('injected latency delays the answer', async () => {
      const { fake, clients } = await start();
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      const rule = fake.inject({ operation: 'identities.get', latencyMs: 150 });
      const started = Date.now();
      await clients.msi.userAssignedIdentities.get(RG, 'orders-api');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(rule.applied()).toBe(1);
    });
  });

  describe('App Service sites (Microsoft.Web) with @azure/arm-appservice', () => {
    const site = (name: string): IdentityRef => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name });
    const identityIdOf = (name: string) =>
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

    it('reads a site with its identities, and answers 404 ResourceNotFound for a missing one', async () => {
      const { fake, clients } = await start();
      const tool = fake.identities.create(ref('deploy-tool'), { location: 'westeurope' });
      fake.sites.create(site('orders-fn'), {
        systemAssigned: true,
        userAssignedIdentities: [identityIdOf('deploy-tool')],
      });
      const found = await clients.web.webApps.get(RG, 'orders-fn');
      expect(found).toMatchObject({
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Web/sites/orders-fn`,
        name: 'orders-fn',
        kind: 'functionapp',
        identity: {
          type: 'SystemAssigned, UserAssigned',
          tenantId: TENANT,
          userAssignedIdentities: {
            [identityIdOf('deploy-tool')]: {
              principalId: tool.properties.principalId,
              clientId: tool.properties.clientId,
            },
          },
        },
      });
      const missing = await rejectionOf(clients.web.webApps.get(RG, 'nobody'));
      expect(missing).toMatchObject({ name: 'RestError', statusCode: 404, code: 'ResourceNotFound' });
      expect(missing.message).toContain("The Resource 'Microsoft.Web/sites/nobody' under resource group");
      const noGroup = await rejectionOf(clients.web.webApps.get('elsewhere', 'orders-fn'));
      expect(noGroup).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
      expect(fake.requests().map((r) => [r.operation, r.apiVersion])).toContainEqual([
        'sites.get',
        '2025-05-01',
      ]);
    });

    it('PATCH merges user-assigned identities, null removing one, and a type without UserAssigned removes all', async () => {
      const { fake, clients } = await start();
      fake.identities.create(ref('a'), { location: 'westeurope' });
      fake.identities.create(ref('b'), { location: 'westeurope' });
      fake.sites.create(site('fn'), { userAssignedIdentities: [identityIdOf('a')] });
      await clients.web.webApps.update(RG, 'fn', {
        identity: {
          type: 'SystemAssigned, UserAssigned',
          userAssignedIdentities: { [identityIdOf('b')]: {} },
        },
      });
      let found = fake.sites.get(site('fn'));
      expect(found?.identity?.type).toBe('SystemAssigned, UserAssigned');
      expect(Object.keys(found?.identity?.userAssignedIdentities ?? {})).toEqual([
        identityIdOf('a'),
        identityIdOf('b'),
      ]);
      await clients.web.webApps.update(RG, 'fn', {
        identity: {
          type: 'SystemAssigned, UserAssigned',
          // ARM's PATCH contract: null removes; the SDK's type has no room for it.
          userAssignedIdentities: { [identityIdOf('A').toLowerCase()]: null } as unknown as Record<
            string,
            object
          >,
        },
      });
      found = fake.sites.get(site('fn'));
      expect(Object.keys(found?.identity?.userAssignedIdentities ?? {})).toEqual([identityIdOf('b')]);
      await clients.web.webApps.update(RG, 'fn', { identity: { type: 'SystemAssigned' } });
      expect(fake.sites.get(site('fn'))?.identity).toMatchObject({ type: 'SystemAssigned' });
      expect(fake.sites.get(site('fn'))?.identity?.userAssignedIdentities).toBeUndefined();

      const unknown = await rejectionOf(
        clients.web.webApps.update(RG, 'fn', {
          identity: { type: 'UserAssigned', userAssignedIdentities: { [identityIdOf('ghost')]: {} } },
        }),
      );
      expect(unknown).toMatchObject({ statusCode: 400, code: 'BadRequest' });
      expect(fake.sites.get(site('fn'))?.identity?.type).toBe('SystemAssigned');
    });

    it('lists app settings with a POST and replaces them all with a PUT', async () => {
      const { fake, clients } = await start();
      fake.sites.create(site('fn'), { appSettings: { FUNCTIONS_WORKER_RUNTIME: 'node' } });
      const listed = await clients.web.webApps.listApplicationSettings(RG, 'fn');
      expect(listed).toMatchObject({ name: 'appsettings', properties: { FUNCTIONS_WORKER_RUNTIME: 'node' } });
      await clients.web.webApps.updateApplicationSettings(RG, 'fn', { properties: { AZURE_CLIENT_ID: 'c' } });
      expect(fake.sites.appSettings(site('fn'))).toEqual({ AZURE_CLIENT_ID: 'c' });
      expect(fake.requests().map((r) => `${r.method} ${r.operation}`)).toEqual([
        'POST sites.listSettings',
        'PUT sites.putSettings',
      ]);
    });

    it('refuses with AuthorizationFailed naming the Microsoft.Web action', async () => {
      const { fake, clients } = await start();
      fake.sites.create(site('fn'));
      fake.inject({ operation: 'sites.listSettings', fault: { kind: 'authorizationFailed' } });
      const refused = await rejectionOf(clients.web.webApps.listApplicationSettings(RG, 'fn'));
      expect(refused).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
      expect(refused.message).toContain("'Microsoft.Web/sites/config/list/action'");
    });
  });

  describe('test-side state, counts and lifecycle', () => {
    it('out-of-band edits are what the SDK then reads, uncounted', async () => {
      const { fake, clients } = await start();
      const { msi, authorization } = clients;
      const identity = await msi.userAssignedIdentities.createOrUpdate(RG, 'orders-api', {
        location: 'westeurope',
        tags: { 'keyless.dev/name': 'orders-api' },
      });
      await msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'sa-1', {
        issuer: ISSUER,
        subject: 'system:serviceaccount:shop:orders-api',
        audiences: [AUDIENCE],
      });
      const name = assignmentName('drift');
      await authorization.roleAssignments.create(RG_SCOPE, name, {
        roleDefinitionId: roleDefinitionId(READER),
        principalId: identity.principalId ?? '',
        principalType: 'ServicePrincipal',
      });
      fake.resetCounts();

      fake.identities.setTags(ref('orders-api'), { 'keyless.dev/name': 'orders-api', extra: 'by hand' });
      fake.federatedCredentials.put(ref('orders-api'), 'sa-1', {
        issuer: ISSUER,
        subject: 'system:serviceaccount:shop:other',
      });
      fake.roleAssignments.delete(name);
      expect(fake.counts()).toEqual({});

      expect((await msi.userAssignedIdentities.get(RG, 'orders-api')).tags).toEqual({
        'keyless.dev/name': 'orders-api',
        extra: 'by hand',
      });
      expect(await msi.federatedIdentityCredentials.get(RG, 'orders-api', 'sa-1')).toMatchObject({
        subject: 'system:serviceaccount:shop:other',
      });
      expect(await rejectionOf(authorization.roleAssignments.get(RG_SCOPE, name))).toMatchObject({
        statusCode: 404,
      });
      expect(fake.roleAssignments.list()).toEqual([]);
      expect(fake.counts()).toEqual({
        'identities.get': 1,
        'federatedCredentials.get': 1,
        'roleAssignments.get': 1,
      });
      fake.resetCounts();
      expect(fake.counts()).toEqual({});
      expect(fake.requests()).toEqual([]);
    });

    it('a failure inside the fake is a 500 to the client and an error from stop()', async () => {
      const started = await start();
      started.fake.inject({
        operation: 'identities.get',
        when: () => {
          throw new Error('a broken rule');
        },
        latencyMs: 0,
      });
      const broken = await rejectionOf(started.clients.msi.userAssignedIdentities.get(RG, 'orders-api'));
      expect(broken).toMatchObject({ name: 'RestError', statusCode: 500, code: 'AzureFakeInternalError' });
      expect(broken.message).toContain('a broken rule');
      const stopped = await rejectionOf(started.fake.stop());
      fake = undefined; // stopped, and its failure seen: nothing left for afterEach
      expect(stopped).toBeInstanceOf(AggregateError);
      expect(stopped.message).toBe('the Azure fake failed on 1 request(s)');
      expect((stopped as AggregateError).errors[0].cause.message).toBe('a broken rule');
    });

    it('is refused by a client that does not trust its CA', async () => {
      const { fake } = await start();
      const untrusted = new ManagedServiceIdentityClient(new StaticTokenCredential(), SUBSCRIPTION, {
        endpoint: fake.endpoint,
        retryOptions: { maxRetries: 0 },
      });
      const refused = await rejectionOf(untrusted.userAssignedIdentities.get(RG, 'orders-api'));
      expect(refused).toMatchObject({
        name: 'RestError',
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        message: expect.stringContaining('unable to verify the first certificate'),
      });
      expect(fake.counts()).toEqual({});
    });

    it('asks the credential for a token for the endpoint itself', async () => {
      const { fake } = await start();
      const credential = new StaticTokenCredential();
      const clients = azureClients(fake, { subscriptionId: SUBSCRIPTION, credential });
      await all(clients.authorization.roleDefinitions.list(`/subscriptions/${SUBSCRIPTION}`));
      await rejectionOf(clients.msi.userAssignedIdentities.get(RG, 'nobody'));
      expect(new Set(credential.scopesRequested)).toEqual(new Set([`${fake.endpoint}/.default`]));
    });

    it('stop() closes keep-alive connections and ends requests in flight', async () => {
      const { fake, clients } = await start({ ficWriteMs: 60_000 });
      fake.identities.create(ref('orders-api'), { location: 'westeurope' });
      await clients.msi.userAssignedIdentities.get(RG, 'orders-api'); // leaves a keep-alive connection
      const inFlight = rejectionOf(
        clients.msi.federatedIdentityCredentials.createOrUpdate(RG, 'orders-api', 'sa-1', {
          issuer: ISSUER,
          subject: 's',
          audiences: [AUDIENCE],
        }),
      );
      await sleep(50);
      const started = Date.now();
      await fake.stop();
      expect(Date.now() - started).toBeLessThan(2_000);
      const cut = await inFlight;
      // A connection closed before the answer: a RestError without a status code.
      expect(cut).toMatchObject({ name: 'RestError', code: 'ECONNRESET', message: 'socket hang up' });
      expect(cut.statusCode).toBeUndefined();
      expect(fake.federatedCredentials.list(ref('orders-api'))).toEqual([]);
    });
  });
});
