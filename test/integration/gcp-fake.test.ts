/**
 * The Google Cloud fake, driven by the real Google clients Keyless uses: @googleapis/iam (IAM v1),
 * @google-cloud/resource-manager (ProjectsClient, REST) and @google-cloud/iam (v2.PoliciesClient,
 * REST). Also records what each client makes of each error answer, for the provider's classification.
 * No control plane needed.
 */
import { STATUS_CODES } from 'node:http';
import { iam } from '@googleapis/iam';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy/index.js';
import {
  type GcpClients,
  type GcpFake,
  gcpClientOptions,
  gcpClients,
  gcpOperationOf,
  startGcpFake,
} from '../support/gcp-fake/index.js';

const PROJECT = { projectId: 'keyless-test', projectNumber: '123456789012' } as const;
const PROJECT_NAME = `projects/${PROJECT.projectId}`;
const email = (accountId: string): string => `${accountId}@${PROJECT.projectId}.iam.gserviceaccount.com`;
const saName = (accountId: string): string => `projects/-/serviceAccounts/${email(accountId)}`;
/** The parent of a project's deny policies, as callers write it (the attachment point URL-encoded once). */
const DENY_PARENT = `policies/${encodeURIComponent(`cloudresourcemanager.googleapis.com/${PROJECT_NAME}`)}/denypolicies`;
const DENY_NAME_BY_NUMBER = `policies/cloudresourcemanager.googleapis.com%2Fprojects%2F${PROJECT.projectNumber}/denypolicies`;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CONDITION = {
  title: 'until 2030',
  expression: 'request.time < timestamp("2030-01-01T00:00:00Z")',
};
const DENY_RULE = {
  denyRule: {
    deniedPrincipals: ['principalSet://goog/public:all'],
    deniedPermissions: ['iam.googleapis.com/roles.create'],
  },
};

/** What a client error carries, field by field, as the provider's classifier will see it. */
interface SeenError {
  /** The constructor's name. */
  readonly type: string;
  readonly status: unknown;
  readonly code: unknown;
  readonly message: string;
  /** `error.response.data.error.status` (the Google status name), when the client keeps the body. */
  readonly dataStatus: unknown;
  /** The Google status name inside `message`, when the message is the raw JSON body. */
  readonly messageStatus: unknown;
  /** `error.cause.status`: the Google status name (IAM v1), or the HTTP reason phrase (gax). */
  readonly causeStatus: unknown;
  readonly retryAfter: string | null | undefined;
}

function statusInMessage(message: string): unknown {
  try {
    return (JSON.parse(message) as { error?: { status?: unknown } }).error?.status;
  } catch {
    return undefined; // not JSON: IAM v1's message is the Google message itself
  }
}

async function caught(promise: Promise<unknown>): Promise<SeenError> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  if (!(thrown instanceof Error))
    throw new Error(`expected the call to fail with an Error, got ${String(thrown)}`);
  const error = thrown as Error & {
    cause?: { status?: unknown };
    status?: unknown;
    code?: unknown;
    response?: { data?: { error?: { status?: unknown } }; headers?: { get(name: string): string | null } };
  };
  return {
    type: error.constructor.name,
    status: error.status,
    code: error.code,
    message: error.message,
    dataStatus: error.response?.data?.error?.status,
    messageStatus: statusInMessage(error.message),
    causeStatus: error.cause?.status,
    retryAfter: error.response?.headers?.get('retry-after'),
  };
}

const permissionInfo = (permission: string, domain: string, resource?: string) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason: 'IAM_PERMISSION_DENIED',
  domain,
  metadata: { permission, ...(resource ? { resource } : {}) },
});

/** What gax's REST clients throw: the raw JSON body as message, no body in `response.data`. */
function gaxError(
  status: number,
  googleStatus: string,
  message: string,
  options: { retryAfter?: string; details?: readonly object[] } = {},
): SeenError {
  const details = options.details ? { details: options.details } : {};
  return {
    type: 'GaxiosError',
    status,
    code: status,
    message: JSON.stringify({ error: { code: status, message, status: googleStatus, ...details } }),
    dataStatus: undefined,
    messageStatus: googleStatus,
    causeStatus: STATUS_CODES[status],
    retryAfter: options.retryAfter ?? null,
  };
}

/** What the IAM v1 client (googleapis-common) throws: Google's message, and the body in `response.data`. */
function iamError(
  status: number,
  googleStatus: string,
  message: string,
  retryAfter: string | null = null,
): SeenError {
  return {
    type: 'GaxiosError',
    status,
    code: status,
    message,
    dataStatus: googleStatus,
    messageStatus: undefined,
    causeStatus: googleStatus,
    retryAfter,
  };
}

let fake: GcpFake;
let clients: GcpClients;

beforeAll(async () => {
  fake = await startGcpFake({ projects: [PROJECT] });
  clients = gcpClients(fake);
});

afterAll(async () => {
  await clients?.close();
  await fake?.stop();
});

beforeEach(() => fake.reset());

afterEach(() => {
  expect(fake.internalErrors()).toEqual([]);
});

async function createAccount(accountId: string, displayName = 'test') {
  const { data } = await clients.iam.projects.serviceAccounts.create({
    name: PROJECT_NAME,
    requestBody: { accountId, serviceAccount: { displayName, description: 'made by a test' } },
  });
  return data;
}

describe('service accounts (IAM v1)', () => {
  it('creates, gets, patches and deletes a service account', async () => {
    const created = await createAccount('orders-api', 'Orders API');
    expect(created).toEqual({
      name: `${PROJECT_NAME}/serviceAccounts/${email('orders-api')}`,
      projectId: PROJECT.projectId,
      uniqueId: expect.stringMatching(/^1\d{20}$/),
      email: email('orders-api'),
      displayName: 'Orders API',
      description: 'made by a test',
      etag: expect.stringMatching(BASE64),
      oauth2ClientId: created.uniqueId,
    });

    const sa = clients.iam.projects.serviceAccounts;
    expect((await sa.get({ name: saName('orders-api') })).data).toEqual(created);
    expect((await sa.get({ name: `${PROJECT_NAME}/serviceAccounts/${email('orders-api')}` })).data).toEqual(
      created,
    );
    expect((await sa.get({ name: `projects/-/serviceAccounts/${created.uniqueId}` })).data).toEqual(created);
    expect(
      (await sa.get({ name: `projects/${PROJECT.projectNumber}/serviceAccounts/${email('orders-api')}` }))
        .data,
    ).toEqual(created);

    const patched = await sa.patch({
      name: saName('orders-api'),
      requestBody: {
        serviceAccount: { displayName: 'Orders', description: 'ignored' },
        updateMask: 'displayName',
      },
    });
    expect(patched.data).toEqual({ ...created, displayName: 'Orders', etag: expect.stringMatching(BASE64) });
    expect(patched.data.etag).not.toBe(created.etag);
    expect(fake.state.serviceAccount(email('orders-api'))).toMatchObject({
      displayName: 'Orders',
      disabled: false,
    });

    expect((await sa.delete({ name: saName('orders-api') })).data).toEqual({});
    expect(await caught(sa.get({ name: saName('orders-api') }))).toEqual(
      iamError(404, 'NOT_FOUND', 'Unknown service account'),
    );
    expect(fake.counts()).toEqual({
      'serviceAccounts.create': 1,
      'serviceAccounts.get': 5,
      'serviceAccounts.patch': 1,
      'serviceAccounts.delete': 1,
    });
  });

  it('refuses a duplicate (409 ALREADY_EXISTS), a bad accountId and a bad update mask (400)', async () => {
    await createAccount('orders-api');
    expect(await caught(createAccount('orders-api'))).toEqual(
      iamError(
        409,
        'ALREADY_EXISTS',
        `Service account orders-api already exists within project ${PROJECT_NAME}.`,
      ),
    );
    for (const accountId of [
      'short',
      'Upper-case',
      '1starts-with-digit',
      'ends-with-hyphen-',
      'a'.repeat(31),
    ]) {
      expect(await caught(createAccount(accountId))).toMatchObject({
        status: 400,
        dataStatus: 'INVALID_ARGUMENT',
      });
    }
    const badMask = clients.iam.projects.serviceAccounts.patch({
      name: saName('orders-api'),
      requestBody: { serviceAccount: { email: 'x@y' }, updateMask: 'email' },
    });
    expect(await caught(badMask)).toMatchObject({ status: 400, dataStatus: 'INVALID_ARGUMENT' });
    const unknownField = clients.iam.projects.serviceAccounts.create({
      name: PROJECT_NAME,
      requestBody: { accountId: 'typo-field', serviceAccount: { displayname: 'x' } as never },
    });
    expect(await caught(unknownField)).toEqual(
      iamError(
        400,
        'INVALID_ARGUMENT',
        'Invalid JSON payload received. Unknown name "displayname" at \'service_account\': Cannot find field.',
      ),
    );
  });

  it('answers 403 for a project it does not serve', async () => {
    const create = clients.iam.projects.serviceAccounts.create({
      name: 'projects/someone-elses',
      requestBody: { accountId: 'orders-api' },
    });
    expect(await caught(create)).toEqual(
      iamError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).",
      ),
    );
  });

  it('lists a project’s service accounts a page at a time', async () => {
    for (const id of ['account-a', 'account-b', 'account-c']) await createAccount(id);
    const first = await clients.iam.projects.serviceAccounts.list({ name: PROJECT_NAME, pageSize: 2 });
    expect(first.data.accounts?.map((account) => account.email)).toEqual([
      email('account-a'),
      email('account-b'),
    ]);
    const second = await clients.iam.projects.serviceAccounts.list({
      name: PROJECT_NAME,
      pageSize: 2,
      pageToken: first.data.nextPageToken ?? '',
    });
    expect(second.data).toEqual({ accounts: [expect.objectContaining({ email: email('account-c') })] });
  });

  it('shows grants to a deleted account as deleted:serviceAccount:EMAIL?uid=ID, not given to a new one', async () => {
    const old = await createAccount('orders-api');
    fake.state.setProjectPolicy(PROJECT.projectId, {
      bindings: [
        { role: 'roles/viewer', members: [`serviceAccount:${old.email}`, 'user:alice@example.com'] },
      ],
    });
    await clients.iam.projects.serviceAccounts.delete({ name: saName('orders-api') });
    await createAccount('orders-api');
    const [policy] = await clients.projects.getIamPolicy({ resource: PROJECT_NAME });
    expect(policy.bindings).toEqual([
      expect.objectContaining({
        role: 'roles/viewer',
        members: [`deleted:serviceAccount:${old.email}?uid=${old.uniqueId}`, 'user:alice@example.com'],
      }),
    ]);
  });
});

describe('eventual consistency', () => {
  let clock = 1_750_000_000_000;
  let slow: GcpFake;
  let slowClients: GcpClients;

  beforeAll(async () => {
    slow = await startGcpFake({ projects: [PROJECT], consistencyDelayMs: 2_000, now: () => clock });
    slowClients = gcpClients(slow);
  });

  afterAll(async () => {
    await slowClients?.close();
    await slow?.stop();
  });

  it('hides a new account for consistencyDelayMs: 404 on get and its policy, 400 when granted to, 409 on create', async () => {
    const sa = slowClients.iam.projects.serviceAccounts;
    const created = await sa.create({ name: PROJECT_NAME, requestBody: { accountId: 'orders-api' } });
    expect(created.data.email).toBe(email('orders-api'));

    clock += 1_999;
    expect(await caught(sa.get({ name: saName('orders-api') }))).toEqual(
      iamError(404, 'NOT_FOUND', 'Unknown service account'),
    );
    expect(await caught(sa.getIamPolicy({ resource: saName('orders-api') }))).toMatchObject({ status: 404 });
    expect(
      await caught(sa.setIamPolicy({ resource: saName('orders-api'), requestBody: { policy: {} } })),
    ).toMatchObject({
      status: 404,
    });
    const grant = slowClients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { bindings: [{ role: 'roles/viewer', members: [`serviceAccount:${email('orders-api')}`] }] },
    });
    expect(await caught(grant)).toEqual(
      gaxError(400, 'INVALID_ARGUMENT', `Service account ${email('orders-api')} does not exist.`),
    );
    expect(
      await caught(sa.create({ name: PROJECT_NAME, requestBody: { accountId: 'orders-api' } })),
    ).toMatchObject({
      status: 409,
      dataStatus: 'ALREADY_EXISTS',
    });
    expect((await sa.list({ name: PROJECT_NAME })).data).toEqual({});

    clock += 1;
    expect((await sa.get({ name: saName('orders-api') })).data).toEqual(created.data);
    await slowClients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { bindings: [{ role: 'roles/viewer', members: [`serviceAccount:${email('orders-api')}`] }] },
    });
  });
});

describe('allow policies', () => {
  it('round-trips a service account policy with its etag; a stale etag is 409 ABORTED; none is last writer wins', async () => {
    await createAccount('orders-api');
    const sa = clients.iam.projects.serviceAccounts;
    const fresh = await sa.getIamPolicy({
      resource: saName('orders-api'),
      'options.requestedPolicyVersion': 3,
    });
    expect(fresh.data).toEqual({ version: 1, etag: 'ACAB' });

    const binding = {
      role: 'roles/iam.workloadIdentityUser',
      members: ['serviceAccount:keyless-test.svc.id.goog[shop/orders-api]'],
    };
    const written = await sa.setIamPolicy({
      resource: saName('orders-api'),
      requestBody: { policy: { version: 3, etag: fresh.data.etag, bindings: [binding] } },
    });
    expect(written.data).toEqual({ version: 1, etag: expect.stringMatching(BASE64), bindings: [binding] });
    expect(written.data.etag).not.toBe(fresh.data.etag);
    const read = await sa.getIamPolicy({
      resource: saName('orders-api'),
      'options.requestedPolicyVersion': 3,
    });
    expect(read.data).toEqual(written.data);

    const stale = sa.setIamPolicy({
      resource: saName('orders-api'),
      requestBody: { policy: { version: 3, etag: fresh.data.etag, bindings: [] } },
    });
    const seen = await caught(stale);
    expect(seen).toEqual(
      iamError(
        409,
        'ABORTED',
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. ' +
          `The request's ETag 'ACAB' did not match the current policy's ETag '${read.data.etag}'.`,
      ),
    );

    const blind = await sa.setIamPolicy({
      resource: saName('orders-api'),
      requestBody: { policy: { bindings: [] } },
    });
    expect(blind.data).toEqual({ version: 1, etag: expect.stringMatching(BASE64) });
    expect(fake.state.serviceAccountPolicy(email('orders-api')).bindings).toEqual([]);
  });

  it('reads a project policy at version 3 with a conditional binding; etags are bytes to this client', async () => {
    const [fresh] = await clients.projects.getIamPolicy({
      resource: PROJECT_NAME,
      options: { requestedPolicyVersion: 3 },
    });
    expect(fresh).toMatchObject({ version: 1, bindings: [], etag: Buffer.from('ACAB', 'base64') });

    const [written] = await clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: {
        version: 3,
        etag: fresh.etag,
        bindings: [
          {
            role: 'roles/storage.objectViewer',
            members: ['user:bob@example.com', 'user:alice@example.com'],
            condition: CONDITION,
          },
          { role: 'roles/viewer', members: ['user:carol@example.com'] },
          { role: 'roles/viewer', members: ['user:alice@example.com', 'user:carol@example.com'] },
        ],
      },
    });
    // Google's canonical form: same role and condition merged, members deduplicated and sorted.
    const canonical = [
      {
        role: 'roles/storage.objectViewer',
        members: ['user:alice@example.com', 'user:bob@example.com'],
        condition: { ...CONDITION, description: '', location: '' },
      },
      {
        role: 'roles/viewer',
        members: ['user:alice@example.com', 'user:carol@example.com'],
        condition: null,
      },
    ];
    expect(written).toMatchObject({ version: 3, bindings: canonical });
    const [read] = await clients.projects.getIamPolicy({
      resource: PROJECT_NAME,
      options: { requestedPolicyVersion: 3 },
    });
    expect(read).toMatchObject({ version: 3, bindings: canonical });
    expect(Buffer.from(read.etag as Uint8Array).toString('base64')).toBe(
      fake.state.projectPolicy(PROJECT.projectId).etag,
    );

    const stale = clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { version: 3, etag: fresh.etag },
    });
    expect(await caught(stale)).toEqual(
      gaxError(
        409,
        'ABORTED',
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. ' +
          `The request's ETag 'ACAB' did not match the current policy's ETag '${fake.state.projectPolicy(PROJECT.projectId).etag}'.`,
      ),
    );
  });

  it('applies the version rules: conditions need version 3 to be written, and are hidden below it', async () => {
    const conditional = { role: 'roles/viewer', members: ['user:alice@example.com'], condition: CONDITION };
    const v1 = clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { version: 1, bindings: [conditional] },
    });
    expect(await caught(v1)).toMatchObject({ status: 400, messageStatus: 'INVALID_ARGUMENT' });

    const [written] = await clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: {
        version: 3,
        bindings: [conditional, { role: 'roles/browser', members: ['user:bob@example.com'] }],
      },
    });

    // Below version 3, IAM shows a conditional binding as ROLE_withcond_HASH without its condition
    // (https://cloud.google.com/iam/docs/troubleshooting-withcond), for getIamPolicy at 0 or 1.
    for (const requestedPolicyVersion of [0, 1]) {
      const [read] = await clients.projects.getIamPolicy({
        resource: PROJECT_NAME,
        options: { requestedPolicyVersion },
      });
      expect(read.version).toBe(1);
      expect(read.bindings).toEqual([
        expect.objectContaining({
          role: 'roles/browser',
          members: ['user:bob@example.com'],
          condition: null,
        }),
        expect.objectContaining({
          role: expect.stringMatching(/^roles\/viewer_withcond_[0-9a-f]{20}$/),
          condition: null,
        }),
      ]);
    }
    const sa = await createAccount('orders-api');
    const v1View = await clients.iam.projects.serviceAccounts.getIamPolicy({
      resource: saName('orders-api'),
    });
    expect(v1View.data).toEqual({ version: 1, etag: 'ACAB' });
    expect(sa.email).toBe(email('orders-api'));

    const invalid = clients.projects.getIamPolicy({
      resource: PROJECT_NAME,
      options: { requestedPolicyVersion: 2 },
    });
    expect(await caught(invalid)).toMatchObject({ status: 400, messageStatus: 'INVALID_ARGUMENT' });

    // With the etag, a version 1 write to a policy with conditions is refused ...
    const withEtag = clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { version: 1, etag: written.etag, bindings: [] },
    });
    expect(await caught(withEtag)).toMatchObject({ status: 400, messageStatus: 'INVALID_ARGUMENT' });
    // ... without it, it overwrites the policy, conditions and all (Google's documented hazard).
    const [overwritten] = await clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { version: 1, bindings: [{ role: 'roles/browser', members: ['user:bob@example.com'] }] },
    });
    expect(overwritten).toMatchObject({ version: 1, bindings: [{ role: 'roles/browser' }] });
  });

  it('changes audit configs only when the update mask names them; enums are numbers to this client', async () => {
    const auditConfigs = [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' as const }] }];
    await clients.projects.setIamPolicy({ resource: PROJECT_NAME, policy: { auditConfigs } });
    expect(fake.state.projectPolicy(PROJECT.projectId).auditConfigs).toEqual([]);
    const [written] = await clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { auditConfigs },
      updateMask: { paths: ['audit_configs'] },
    });
    expect(written.auditConfigs).toEqual([
      { service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ', exemptedMembers: [] }] },
    ]);
    expect(fake.state.projectPolicy(PROJECT.projectId).auditConfigs).toEqual(auditConfigs);
    expect(fake.requests().at(-1)?.url).toBe(
      `/v3/${PROJECT_NAME}:setIamPolicy?$alt=json%3Benum-encoding=int`,
    );
  });

  it('shows out-of-band edits made through fake.state, with a new etag', async () => {
    const [before] = await clients.projects.getIamPolicy({
      resource: PROJECT_NAME,
      options: { requestedPolicyVersion: 3 },
    });
    const edited = fake.state.editProjectPolicy(PROJECT.projectId, (policy) => ({
      ...policy,
      bindings: [...policy.bindings, { role: 'roles/owner', members: ['user:mallory@example.com'] }],
    }));
    const [after] = await clients.projects.getIamPolicy({
      resource: PROJECT_NAME,
      options: { requestedPolicyVersion: 3 },
    });
    expect(after.bindings).toEqual([
      expect.objectContaining({ role: 'roles/owner', members: ['user:mallory@example.com'] }),
    ]);
    expect(Buffer.from(after.etag as Uint8Array).toString('base64')).toBe(edited.etag);
    expect(after.etag).not.toEqual(before.etag);
    expect(fake.counts()).toEqual({ 'projects.getIamPolicy': 2 });
  });

  it('refuses malformed roles and members, and unknown projects (403, as Resource Manager does)', async () => {
    const badRole = clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { bindings: [{ role: 'viewer', members: ['user:alice@example.com'] }] },
    });
    expect(await caught(badRole)).toEqual(
      gaxError(400, 'INVALID_ARGUMENT', "Role (viewer) does not exist in the resource's hierarchy."),
    );
    const badMember = clients.projects.setIamPolicy({
      resource: PROJECT_NAME,
      policy: { bindings: [{ role: 'roles/viewer', members: ['alice@example.com'] }] },
    });
    expect(await caught(badMember)).toEqual(
      gaxError(400, 'INVALID_ARGUMENT', 'Policy members must be of the form "<type>:<value>".'),
    );
    const resource = '//cloudresourcemanager.googleapis.com/projects/someone-elses';
    expect(await caught(clients.projects.getIamPolicy({ resource: 'projects/someone-elses' }))).toEqual(
      gaxError(
        403,
        'PERMISSION_DENIED',
        `Permission 'resourcemanager.projects.getIamPolicy' denied on resource '${resource}' (or it may not exist).`,
        {
          details: [
            permissionInfo(
              'resourcemanager.projects.getIamPolicy',
              'cloudresourcemanager.googleapis.com',
              resource,
            ),
          ],
        },
      ),
    );
  });

  it('gets the project by ID or number, and answers testIamPermissions without the denied ones', async () => {
    for (const name of [PROJECT_NAME, `projects/${PROJECT.projectNumber}`]) {
      const [project] = await clients.projects.getProject({ name });
      expect(project).toMatchObject({
        name: `projects/${PROJECT.projectNumber}`,
        projectId: PROJECT.projectId,
        state: 'ACTIVE',
      });
    }
    fake.denyPermission('iam.serviceAccounts.create');
    const [tested] = await clients.projects.testIamPermissions({
      resource: PROJECT_NAME,
      permissions: ['iam.serviceAccounts.create', 'iam.serviceAccounts.get'],
    });
    expect(tested.permissions).toEqual(['iam.serviceAccounts.get']);
  });
});

describe('deny policies (IAM v2)', () => {
  async function createDenyPolicy(policyId: string) {
    const [operation] = await clients.policies.createPolicy({
      parent: DENY_PARENT,
      policyId,
      policy: {
        displayName: 'No custom roles',
        rules: [DENY_RULE],
        annotations: { 'keyless.dev/cluster': 'c1' },
      },
    });
    return operation;
  }

  it('creates (done at once), gets, lists, updates and deletes, on the double-encoded path', async () => {
    const operation = await createDenyPolicy('keyless-deny');
    expect(operation.done).toBe(true);
    expect(operation.name).toMatch(
      new RegExp(`^${DENY_NAME_BY_NUMBER}/keyless-deny/operations/[0-9a-f]{16}$`),
    );
    const [created] = await operation.promise();
    expect(created).toMatchObject({
      name: `${DENY_NAME_BY_NUMBER}/keyless-deny`,
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      kind: 'DenyPolicy',
      displayName: 'No custom roles',
      annotations: { 'keyless.dev/cluster': 'c1' },
      etag: expect.stringMatching(BASE64),
      rules: [DENY_RULE],
    });
    expect(fake.requests()[0]).toEqual({
      method: 'POST',
      url: '/v2/policies/cloudresourcemanager.googleapis.com%252Fprojects%252Fkeyless-test/denypolicies?policyId=keyless-deny&$alt=json%3Benum-encoding=int',
      operation: 'denyPolicies.create',
      status: 200,
    });

    for (const name of [`${DENY_PARENT}/keyless-deny`, `${DENY_NAME_BY_NUMBER}/keyless-deny`]) {
      const [read] = await clients.policies.getPolicy({ name });
      expect(read).toMatchObject({ name: created.name, etag: created.etag, rules: [DENY_RULE] });
    }
    const [listed] = await clients.policies.listPolicies({ parent: DENY_PARENT });
    expect(listed).toEqual([expect.objectContaining({ name: created.name, rules: [] })]);

    const newRule = {
      denyRule: { ...DENY_RULE.denyRule, deniedPermissions: ['iam.googleapis.com/roles.delete'] },
    };
    const [updating] = await clients.policies.updatePolicy({
      policy: { name: created.name, etag: created.etag, displayName: 'Renamed', rules: [newRule] },
    });
    const [updated] = await updating.promise();
    expect(updated).toMatchObject({ displayName: 'Renamed', rules: [newRule] });
    expect(updated.etag).not.toBe(created.etag);

    const stale = clients.policies.updatePolicy({
      policy: { name: created.name, etag: created.etag, rules: [DENY_RULE] },
    });
    expect(await caught(stale)).toEqual(
      gaxError(
        409,
        'ABORTED',
        `The etag '${created.etag}' of policy ${created.name} does not match its current etag '${updated.etag}': ` +
          'there were concurrent changes. Read the policy again and retry.',
      ),
    );
    expect(
      await caught(clients.policies.deletePolicy({ name: created.name, etag: created.etag ?? '' })),
    ).toMatchObject({
      status: 409,
      messageStatus: 'ABORTED',
    });

    const [deleting] = await clients.policies.deletePolicy({ name: created.name, etag: updated.etag ?? '' });
    const [deleted] = await deleting.promise();
    expect(deleted.name).toBe(created.name);
    expect(Number(deleted.deleteTime?.seconds)).toBeGreaterThan(0);
    expect(await caught(clients.policies.getPolicy({ name: created.name }))).toMatchObject({
      status: 404,
      messageStatus: 'NOT_FOUND',
    });
    expect(fake.state.denyPolicies(PROJECT.projectId)).toEqual([]);
  });

  it('returns done: false until polled operationPolls times; the client polls GET .../operations/ID', async () => {
    fake.setOperationPolls(2);
    try {
      const operation = await createDenyPolicy('polled-deny');
      expect(operation.done).toBe(false);
      const [created] = await operation.promise();
      expect(created.name).toBe(`${DENY_NAME_BY_NUMBER}/polled-deny`);
      expect(fake.counts()).toEqual({ 'denyPolicies.create': 1, 'operations.get': 2 });
      expect(fake.requests()[1]?.url).toBe(
        `/v2/policies/cloudresourcemanager.googleapis.com%252Fprojects%252F${PROJECT.projectNumber}/denypolicies/polled-deny/operations/${operation.name?.split('/').pop()}?`,
      );
      // A stored operation name can be checked later, as a restarted operator would.
      const checked = await clients.policies.checkCreatePolicyProgress(operation.name ?? '');
      expect(checked.done).toBe(true);
    } finally {
      fake.setOperationPolls(0);
    }
  });

  it('refuses bad IDs and rules (400), a duplicate (409 ALREADY_EXISTS), a foreign project (403)', async () => {
    await createDenyPolicy('keyless-deny');
    expect(await caught(createDenyPolicy('keyless-deny'))).toMatchObject({
      status: 409,
      messageStatus: 'ALREADY_EXISTS',
    });
    expect(await caught(createDenyPolicy('Bad_ID'))).toMatchObject({
      status: 400,
      messageStatus: 'INVALID_ARGUMENT',
    });
    const badPermission = clients.policies.createPolicy({
      parent: DENY_PARENT,
      policyId: 'bad-permission',
      policy: {
        rules: [
          {
            denyRule: {
              deniedPrincipals: ['principalSet://goog/public:all'],
              deniedPermissions: ['roles.create'],
            },
          },
        ],
      },
    });
    expect(await caught(badPermission)).toMatchObject({ status: 400, messageStatus: 'INVALID_ARGUMENT' });
    const foreign = clients.policies.listPolicies({
      parent: `policies/${encodeURIComponent('cloudresourcemanager.googleapis.com/projects/someone-elses')}/denypolicies`,
    });
    expect(await caught(foreign)).toMatchObject({ status: 403, messageStatus: 'PERMISSION_DENIED' });
  });

  it('shows a deleted service account in deny rules as deleted:principal://...?uid=ID', async () => {
    const account = await createAccount('orders-api');
    const principal = `principal://iam.googleapis.com/projects/-/serviceAccounts/${account.email}`;
    fake.state.putDenyPolicy(PROJECT.projectId, 'deny-orders', {
      rules: [
        {
          denyRule: { deniedPrincipals: [principal], deniedPermissions: ['iam.googleapis.com/roles.create'] },
        },
      ],
    });
    fake.state.deleteServiceAccount(account.email ?? '');
    const [read] = await clients.policies.getPolicy({ name: `${DENY_PARENT}/deny-orders` });
    expect(read.rules?.[0]?.denyRule?.deniedPrincipals).toEqual([
      `deleted:${principal}?uid=${account.uniqueId}`,
    ]);
  });
});

describe('errors as each client reports them', () => {
  it('403 PERMISSION_DENIED naming the missing permission', async () => {
    fake.denyPermission('iam.serviceAccounts.create');
    fake.denyPermission('resourcemanager.projects.setIamPolicy');
    fake.denyPermission('iam.denypolicies.get');
    expect(await caught(createAccount('orders-api'))).toEqual(
      iamError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).",
      ),
    );
    const resource = `//cloudresourcemanager.googleapis.com/${PROJECT_NAME}`;
    expect(await caught(clients.projects.setIamPolicy({ resource: PROJECT_NAME, policy: {} }))).toEqual(
      gaxError(
        403,
        'PERMISSION_DENIED',
        `Permission 'resourcemanager.projects.setIamPolicy' denied on resource '${resource}' (or it may not exist).`,
        {
          details: [
            permissionInfo(
              'resourcemanager.projects.setIamPolicy',
              'cloudresourcemanager.googleapis.com',
              resource,
            ),
          ],
        },
      ),
    );
    expect(await caught(clients.policies.getPolicy({ name: `${DENY_PARENT}/x` }))).toEqual(
      gaxError(
        403,
        'PERMISSION_DENIED',
        "Permission 'iam.denypolicies.get' denied on resource (or it may not exist).",
        {
          details: [permissionInfo('iam.denypolicies.get', 'iam.googleapis.com')],
        },
      ),
    );
    fake.allowPermission('iam.serviceAccounts.create');
    await createAccount('orders-api');
  });

  it('429 RESOURCE_EXHAUSTED with Retry-After: the header is on error.response.headers; nothing retries a POST', async () => {
    const quota = "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service";
    fake.throttleNext(1, 7, 'serviceAccounts.create');
    expect(await caught(createAccount('orders-api'))).toEqual(
      iamError(429, 'RESOURCE_EXHAUSTED', `${quota} 'iam.googleapis.com'.`, '7'),
    );
    fake.throttleNext(1, 7, 'projects.getIamPolicy');
    const rateLimit = (service: string) => ({
      retryAfter: '7',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: service,
          metadata: { service },
        },
      ],
    });
    expect(await caught(clients.projects.getIamPolicy({ resource: PROJECT_NAME }))).toEqual(
      gaxError(
        429,
        'RESOURCE_EXHAUSTED',
        `${quota} 'cloudresourcemanager.googleapis.com'.`,
        rateLimit('cloudresourcemanager.googleapis.com'),
      ),
    );
    fake.throttleNext(1, 7, 'denyPolicies.get');
    expect(await caught(clients.policies.getPolicy({ name: `${DENY_PARENT}/x` }))).toEqual(
      gaxError(429, 'RESOURCE_EXHAUSTED', `${quota} 'iam.googleapis.com'.`, rateLimit('iam.googleapis.com')),
    );
    // gax classifies the HTTP status (429) as no gRPC code it retries: one request each.
    expect(fake.counts()).toEqual({
      'serviceAccounts.create': 1,
      'projects.getIamPolicy': 1,
      'denyPolicies.get': 1,
    });
  });

  it('the IAM v1 client retries a throttled or failing GET by itself, ignoring Retry-After; retries: false stops that', async () => {
    await createAccount('orders-api');
    fake.resetCounts();
    fake.throttleNext(1, 30, 'serviceAccounts.get');
    const started = Date.now();
    await clients.iam.projects.serviceAccounts.get({ name: saName('orders-api') });
    expect(Date.now() - started).toBeLessThan(5_000); // not the 30 s Retry-After
    expect(fake.counts()).toEqual({ 'serviceAccounts.get': 2 });

    const noRetries = gcpClients(fake, { retries: false });
    try {
      fake.resetCounts();
      fake.failNext(1, 503, 'serviceAccounts.get');
      expect(
        await caught(noRetries.iam.projects.serviceAccounts.get({ name: saName('orders-api') })),
      ).toEqual(iamError(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
      expect(fake.counts()).toEqual({ 'serviceAccounts.get': 1 });
    } finally {
      await noRetries.close();
    }
  });

  it('503 UNAVAILABLE and 500 INTERNAL from the gax clients, not retried', async () => {
    fake.failNext(1, 503, 'projects.setIamPolicy');
    expect(await caught(clients.projects.setIamPolicy({ resource: PROJECT_NAME, policy: {} }))).toEqual(
      gaxError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
    );
    fake.failNext(1, 500, 'denyPolicies.list');
    expect(await caught(clients.policies.listPolicies({ parent: DENY_PARENT }))).toEqual(
      gaxError(500, 'INTERNAL', 'Internal error encountered.'),
    );
    expect(fake.counts()).toEqual({ 'projects.setIamPolicy': 1, 'denyPolicies.list': 1 });
  });

  it('404 NOT_FOUND from the gax clients', async () => {
    expect(await caught(clients.policies.getPolicy({ name: `${DENY_PARENT}/missing` }))).toEqual(
      gaxError(404, 'NOT_FOUND', `Policy ${DENY_NAME_BY_NUMBER}/missing not found.`),
    );
  });

  it('401 UNAUTHENTICATED without a bearer token, or with one the fake does not accept', async () => {
    const anonymous = iam({ version: 'v1', rootUrl: `${fake.endpoint}/` });
    const seen = await caught(anonymous.projects.serviceAccounts.list({ name: PROJECT_NAME }));
    expect(seen).toMatchObject({ status: 401, code: 401, dataStatus: 'UNAUTHENTICATED' });
    expect(seen.message).toMatch(/^Request is missing required authentication credential\./);

    const raw = await fetch(`${fake.endpoint}/v3/${PROJECT_NAME}:getIamPolicy`, {
      method: 'POST',
      body: '{}',
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Bearer realm="https://accounts.google.com/"');
    expect(await raw.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });

    const strict = await startGcpFake({ projects: [PROJECT], accessTokens: ['good-token'] });
    const wrong = gcpClients(strict, { accessToken: 'bad-token' });
    const right = gcpClients(strict, { accessToken: 'good-token' });
    try {
      const rejected = await caught(wrong.projects.getIamPolicy({ resource: PROJECT_NAME }));
      expect(rejected).toMatchObject({ status: 401, code: 401, messageStatus: 'UNAUTHENTICATED' });
      await right.projects.getIamPolicy({ resource: PROJECT_NAME });
    } finally {
      await Promise.all([wrong.close(), right.close()]);
      await strict.stop();
    }
    expect(fake.counts()).toEqual({ 'serviceAccounts.list': 1, 'projects.getIamPolicy': 1 });
  });
});

describe('counting, routing and client options', () => {
  it('counts each operation by name, and unknown paths as unknown (404)', async () => {
    const headers = { authorization: 'Bearer test' };
    await createAccount('orders-api');
    await clients.iam.projects.serviceAccounts.getIamPolicy({ resource: saName('orders-api') });
    await clients.projects.getIamPolicy({ resource: PROJECT_NAME });
    await clients.projects.getIamPolicy({ resource: PROJECT_NAME });
    const unknown = await fetch(`${fake.endpoint}/v1/organizations/1:getIamPolicy`, {
      method: 'POST',
      headers,
    });
    expect(unknown.status).toBe(404);
    expect(fake.counts()).toEqual({
      'serviceAccounts.create': 1,
      'serviceAccounts.getIamPolicy': 1,
      'projects.getIamPolicy': 2,
      unknown: 1,
    });
    fake.resetCounts();
    expect(fake.counts()).toEqual({});
    expect(fake.requests()).toEqual([]);
  });

  it('answers a malformed percent-escape in a path as Google would (404, 400), not as a fake failure', async () => {
    const headers = { authorization: 'Bearer test' };
    const account = await fetch(`${fake.endpoint}/v1/projects/keyless-test/serviceAccounts/%E0%A4%A`, {
      headers,
    });
    expect(account.status).toBe(404);
    const attachment = await fetch(`${fake.endpoint}/v2/policies/%E0%A4%A/denypolicies`, { headers });
    expect(attachment.status).toBe(400);
    expect(fake.counts()).toEqual({ 'serviceAccounts.get': 1, 'denyPolicies.list': 1 });
  });

  it('applies a fault rule to as many requests as it says, chosen by operation and predicate', async () => {
    await createAccount('orders-api');
    await createAccount('billing-api');
    const rule = fake.inject({
      operation: 'serviceAccounts.getIamPolicy',
      when: (request) => request.url.includes('orders-api'),
      times: 2,
      status: 500,
    });
    const noRetries = gcpClients(fake, { retries: false });
    try {
      const sa = noRetries.iam.projects.serviceAccounts;
      for (let i = 0; i < 2; i++) {
        expect(await caught(sa.getIamPolicy({ resource: saName('orders-api') }))).toMatchObject({
          status: 500,
        });
      }
      await sa.getIamPolicy({ resource: saName('billing-api') });
      await sa.getIamPolicy({ resource: saName('orders-api') });
      expect(rule.applied()).toBe(2);
    } finally {
      await noRetries.close();
    }
    expect(() => fake.inject({ status: 200 })).toThrow(/HTTP error status/);
    expect(() => fake.inject({ status: 418 })).toThrow(/grpcStatus/);
    expect(() => fake.inject({ status: 500, times: 0 })).toThrow(/positive integer/);
  });

  it('lets tests create, change and hide accounts out of band', async () => {
    const account = fake.state.createServiceAccount(PROJECT.projectId, 'made-elsewhere', {
      consistencyDelayMs: 60_000,
    });
    expect(
      await caught(clients.iam.projects.serviceAccounts.get({ name: saName('made-elsewhere') })),
    ).toMatchObject({
      status: 404,
    });
    fake.state.deleteServiceAccount(account.email);
    fake.state.createServiceAccount(PROJECT.projectId, 'made-elsewhere', { displayName: 'Elsewhere' });
    fake.state.updateServiceAccount(email('made-elsewhere'), { disabled: true, description: 'changed' });
    const { data } = await clients.iam.projects.serviceAccounts.get({ name: saName('made-elsewhere') });
    expect(data).toMatchObject({ displayName: 'Elsewhere', description: 'changed', disabled: true });
    expect(fake.state.serviceAccounts(PROJECT.projectId).map((item) => item.accountId)).toEqual([
      'made-elsewhere',
    ]);
    expect(() => fake.state.createServiceAccount(PROJECT.projectId, 'x')).toThrow(/account_id/);
    expect(() => fake.state.projectPolicy('no-such-project')).toThrow(/no project/);
  });

  it('names operations the same way behind the fault proxy (gcpOperationOf)', async () => {
    const proxy = await startFaultProxy({ target: fake.endpoint, operationOf: gcpOperationOf });
    const proxied = gcpClients(proxy.endpoint);
    try {
      await proxied.projects.getIamPolicy({ resource: PROJECT_NAME });
      await proxied.policies.listPolicies({ parent: DENY_PARENT });
      expect(proxy.counts()).toEqual({ 'projects.getIamPolicy': 1, 'denyPolicies.list': 1 });
      expect(fake.counts()).toEqual(proxy.counts());
    } finally {
      await proxied.close();
      await proxy.stop();
    }
  });

  it('maps one endpoint to each client’s options', () => {
    const options = gcpClientOptions('http://127.0.0.1:8085');
    expect(options.iam.rootUrl).toBe('http://127.0.0.1:8085/');
    expect(options.gax).toMatchObject({
      apiEndpoint: '127.0.0.1',
      port: 8085,
      protocol: 'http',
      fallback: true,
    });
    expect(gcpClientOptions('https://gcp.example.internal').gax).toMatchObject({
      apiEndpoint: 'gcp.example.internal',
      port: 443,
      protocol: 'https',
    });
    expect(gcpClientOptions('https://gcp.example.internal').iam.rootUrl).toBe(
      'https://gcp.example.internal:443/',
    );
    expect(() => gcpClientOptions('http://127.0.0.1:8085/prefix')).toThrow(/no path/);
    expect(() => gcpClientOptions('ftp://127.0.0.1')).toThrow(/http/);
  });
});
