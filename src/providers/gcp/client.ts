import { AsyncLocalStorage } from 'node:async_hooks';
import { v2 } from '@google-cloud/iam';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { v2 as run } from '@google-cloud/run';
import { iam, type iam_v1 } from '@googleapis/iam';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { Reason } from '../../api/reasons.js';
import type { Context } from '../../runtime/context.js';
import { terminal } from '../../runtime/errors.js';
import type { AccountRequest } from '../provider.js';
import { type AccountLimiter, type CloudCalls, cloudCalls } from '../shared/cloud-calls.js';
import { credentialsSecretRef, readCredentialsSecret, type SecretReader } from '../shared/secrets.js';
import { classifyGcpError, isNotFound } from './errors.js';
import type { IamPolicy } from './iam-policy.js';

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** The keys a credentials Secret may hold. */
export const SECRET_KEYS = { credentialsJson: 'credentials.json', accessToken: 'access_token' } as const;

export type ServiceAccount = iam_v1.Schema$ServiceAccount;

export interface DenyPolicy {
  name?: string | null;
  etag?: string | null;
  displayName?: string | null;
  rules?:
    | { denyRule?: { deniedPrincipals?: string[] | null; deniedPermissions?: string[] | null } | null }[]
    | null;
}

/** One page of Policy Analyzer's `activities:query` answer (the fields Keyless reads). */
export interface ActivitiesPage {
  activities?: PolicyActivity[];
  nextPageToken?: string;
}

export interface PolicyActivity {
  fullResourceName?: string;
  activityType?: string;
  observationPeriod?: { startTime?: string; endTime?: string };
  activity?: { lastAuthenticatedTime?: string; [field: string]: unknown };
}

interface Clients {
  /** The authorized client, for the APIs without a client library in the project (Policy Analyzer). */
  auth: GoogleAuth | OAuth2Client;
  /** Policy Analyzer's root URL: the account's endpoint override, or Google's. */
  policyAnalyzer: string;
  iam: iam_v1.Iam;
  projects: ProjectsClient;
  policies: InstanceType<typeof v2.PoliciesClient>;
  services: InstanceType<typeof run.ServicesClient>;
}

/**
 * IAM v1, Resource Manager v3, IAM v2, Cloud Run Admin v2 and Policy Analyzer v1 calls for one account, and nothing else: every call waits
 * for the account's rate limiter, and every failure leaves here classified (a ClassifiedError). The gax
 * clients use their REST transport; Keyless owns retries.
 */
export class GcpClient {
  private clients: Promise<Clients> | undefined;

  private readonly calls: CloudCalls;

  constructor(
    private readonly account: AccountRequest,
    private readonly secrets: SecretReader,
    limiter: AccountLimiter,
    callTimeoutMs: number,
  ) {
    this.calls = cloudCalls(limiter, classifyGcpError, isNotFound, callTimeoutMs);
  }

  async getServiceAccount(ctx: Context, email: string): Promise<ServiceAccount | undefined> {
    return this.optional(
      ctx,
      'serviceAccounts.get',
      async (c, signal) =>
        (
          await c.iam.projects.serviceAccounts.get(
            { name: `projects/-/serviceAccounts/${email}` },
            { signal },
          )
        ).data,
    );
  }

  async createServiceAccount(
    ctx: Context,
    projectId: string,
    accountId: string,
    body: { displayName: string; description: string },
  ) {
    return this.call(
      ctx,
      'serviceAccounts.create',
      async (c, signal) =>
        (
          await c.iam.projects.serviceAccounts.create(
            {
              name: `projects/${projectId}`,
              requestBody: { accountId, serviceAccount: body },
            },
            { signal },
          )
        ).data,
    );
  }

  async patchServiceAccount(
    ctx: Context,
    projectId: string,
    email: string,
    body: { displayName: string; description: string },
  ) {
    const name = `projects/${projectId}/serviceAccounts/${email}`;
    return this.call(
      ctx,
      'serviceAccounts.patch',
      async (c, signal) =>
        (
          await c.iam.projects.serviceAccounts.patch(
            {
              name,
              requestBody: { serviceAccount: body, updateMask: 'displayName,description' },
            },
            { signal },
          )
        ).data,
    );
  }

  async deleteServiceAccount(ctx: Context, email: string): Promise<void> {
    await this.optional(ctx, 'serviceAccounts.delete', (c, signal) =>
      c.iam.projects.serviceAccounts.delete({ name: `projects/-/serviceAccounts/${email}` }, { signal }),
    );
  }

  /** A service account's or a project's allow policy, by resource name (projects/P or projects/-/serviceAccounts/E). */
  async getPolicy(ctx: Context, resource: string): Promise<IamPolicy> {
    if (resource.includes('/serviceAccounts/')) {
      return this.call(
        ctx,
        'serviceAccounts.getIamPolicy',
        async (c, signal) =>
          (
            await c.iam.projects.serviceAccounts.getIamPolicy(
              {
                resource,
                'options.requestedPolicyVersion': 3,
              },
              { signal },
            )
          ).data as IamPolicy,
      );
    }
    return this.call(ctx, 'projects.getIamPolicy', async (c, signal) => {
      const [policy] = await cancelledBy(signal, () =>
        c.projects.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } }, GAX_CALL),
      );
      return policy as IamPolicy;
    });
  }

  /** Writes an allow policy; a stale etag fails with a retryable Conflict. */
  async setPolicy(ctx: Context, resource: string, policy: IamPolicy): Promise<IamPolicy> {
    if (resource.includes('/serviceAccounts/')) {
      return this.call(
        ctx,
        'serviceAccounts.setIamPolicy',
        async (c, signal) =>
          (
            await c.iam.projects.serviceAccounts.setIamPolicy(
              {
                resource,
                requestBody: { policy: policy as iam_v1.Schema$Policy },
              },
              { signal },
            )
          ).data as IamPolicy,
      );
    }
    return this.call(ctx, 'projects.setIamPolicy', async (c, signal) => {
      const [written] = await cancelledBy(signal, () =>
        c.projects.setIamPolicy({ resource, policy: policy as never }, GAX_CALL),
      );
      return written as IamPolicy;
    });
  }

  /** A project's number, from its id (Resource Manager projects.get). */
  async getProjectNumber(ctx: Context, projectId: string): Promise<string> {
    return this.call(ctx, 'projects.get', async (c, signal) => {
      const [project] = await cancelledBy(signal, () =>
        c.projects.getProject({ name: `projects/${projectId}` }, GAX_CALL),
      );
      const number = /^projects\/([0-9]+)$/.exec(project.name ?? '')?.[1];
      if (!number) throw new Error(`projects.get answered no project number for ${projectId}`);
      return number;
    });
  }

  async getDenyPolicy(ctx: Context, name: string): Promise<DenyPolicy | undefined> {
    return this.optional(ctx, 'denyPolicies.get', async (c, signal) => {
      const [policy] = await cancelledBy(signal, () => c.policies.getPolicy({ name }, GAX_CALL));
      return policy as DenyPolicy;
    });
  }

  async createDenyPolicy(ctx: Context, parent: string, policyId: string, policy: DenyPolicy): Promise<void> {
    await this.call(ctx, 'denyPolicies.create', async (c, signal) => {
      const [operation] = await cancelledBy(signal, () =>
        c.policies.createPolicy({ parent, policyId, policy: policy as never }, GAX_CALL),
      );
      await completion(operation, signal);
    });
  }

  async updateDenyPolicy(ctx: Context, policy: DenyPolicy): Promise<void> {
    await this.call(ctx, 'denyPolicies.update', async (c, signal) => {
      const [operation] = await cancelledBy(signal, () =>
        c.policies.updatePolicy({ policy: policy as never }, GAX_CALL),
      );
      await completion(operation, signal);
    });
  }

  async deleteDenyPolicy(ctx: Context, name: string): Promise<void> {
    await this.optional(ctx, 'denyPolicies.delete', async (c, signal) => {
      const [operation] = await cancelledBy(signal, () => c.policies.deletePolicy({ name }, GAX_CALL));
      await completion(operation, signal);
    });
  }

  /**
   * The service account a Cloud Run service's revision template names ('' for the default compute
   * service account), or undefined when the service does not exist.
   */
  async getServiceAccountOfService(ctx: Context, name: string): Promise<string | undefined> {
    return this.optional(ctx, 'services.get', async (c, signal) => {
      const [service] = await cancelledBy(signal, () => c.services.getService({ name }, GAX_CALL));
      return service.template?.serviceAccount ?? '';
    });
  }

  /**
   * Sets only the revision template's service account (which rolls out a new revision) and waits
   * for the operation; false when the service does not exist.
   */
  async setServiceAccountOfService(ctx: Context, name: string, email: string): Promise<boolean> {
    const done = await this.optional(ctx, 'services.patch', async (c, signal) => {
      const [operation] = await cancelledBy(signal, () =>
        c.services.updateService(
          {
            service: { name, template: { serviceAccount: email } },
            updateMask: { paths: ['template.service_account'] },
          },
          GAX_CALL,
        ),
      );
      await completion(operation, signal);
      return true;
    });
    return done ?? false;
  }

  /**
   * One page of Policy Analyzer's serviceAccountLastAuthentication activities in a project that
   * match `filter` (activities.query).
   */
  async queryLastAuthentications(
    ctx: Context,
    projectId: string,
    filter: string,
    pageToken?: string,
  ): Promise<ActivitiesPage> {
    return this.call(ctx, 'activities.query', async (c, signal) => {
      const parent = `projects/${encodeURIComponent(projectId)}/locations/global/activityTypes/serviceAccountLastAuthentication`;
      const response = await c.auth.request<ActivitiesPage>({
        url: `${c.policyAnalyzer}/v1/${parent}/activities:query`,
        method: 'GET',
        params: { filter, ...(pageToken ? { pageToken } : {}) },
        signal,
        retry: false,
      });
      return response.data ?? {};
    });
  }

  private async optional<T>(
    ctx: Context,
    operation: string,
    send: (c: Clients, signal: AbortSignal) => Promise<T>,
  ): Promise<T | undefined> {
    const clients = await this.connect();
    return this.calls.optional(ctx, operation, (signal) => send(clients, signal));
  }

  private async call<T>(
    ctx: Context,
    operation: string,
    send: (c: Clients, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const clients = await this.connect();
    return this.calls.call(ctx, operation, (signal) => send(clients, signal));
  }

  private async connect(): Promise<Clients> {
    this.clients ??= buildClients(this.account, this.secrets);
    const pending = this.clients;
    try {
      return await pending;
    } catch (err) {
      if (this.clients === pending) this.clients = undefined;
      throw err;
    }
  }
}

/**
 * The signal of the gax call in progress. gax clients take no signal, and the promises their
 * generated methods return cannot be cancelled; but every request they make goes through the auth
 * client's `fetch`, which `withCallSignals` gives this signal (see `cancelledBy`).
 */
const callSignals = new AsyncLocalStorage<AbortSignal>();

/** Per-call gax options: Keyless owns retries (with backoff and Retry-After); gax's would ignore both. */
const GAX_CALL = { retry: null };

/** Runs one gax call so that every HTTP request it makes stops when `signal` aborts. */
function cancelledBy<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  return callSignals.run(signal, call);
}

/** `auth` whose `fetch` (what gax's REST transport sends each request with) also stops on the call's signal. */
function withCallSignals<A extends GoogleAuth | OAuth2Client>(auth: A): A {
  const fetch = (url: unknown, init: { signal?: AbortSignal } = {}) => {
    const signal = callSignals.getStore();
    const signals = [init.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    return auth.fetch(url as string, {
      ...init,
      ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    });
  };
  return new Proxy(auth, {
    get(target, property) {
      if (property === 'fetch') return fetch;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface LongRunning {
  promise(): Promise<unknown>;
  removeAllListeners(event: 'complete'): unknown;
}

/**
 * Waits for a long-running operation. gax polls while anything listens for `complete`: each poll
 * runs under the call's signal (so one in flight is aborted), and on abort the listeners go, so no
 * further poll starts, and the wait ends with the signal's reason.
 */
async function completion(operation: LongRunning, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      operation.removeAllListeners('complete');
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([cancelledBy(signal, () => operation.promise()), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function buildClients(account: AccountRequest, secrets: SecretReader): Promise<Clients> {
  const auth = await authFor(account, secrets);
  const endpoint = account.spec.endpoint ? new URL(account.spec.endpoint) : undefined;
  const gax = endpoint
    ? {
        apiEndpoint: endpoint.hostname,
        port: Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)),
        protocol: endpoint.protocol.replace(':', ''),
      }
    : {};
  const signalled = withCallSignals(auth);
  const gaxAuth = auth instanceof OAuth2Client ? { authClient: signalled } : { auth: signalled };
  return {
    auth,
    policyAnalyzer: endpoint ? endpoint.origin : 'https://policyanalyzer.googleapis.com',
    // Keyless owns retries (with backoff and Retry-After); the client's own would ignore Retry-After.
    iam: iam({ version: 'v1', auth, retry: false, ...(endpoint ? { rootUrl: `${endpoint.origin}/` } : {}) }),
    projects: new ProjectsClient({ ...gax, ...gaxAuth, fallback: true } as never),
    policies: new v2.PoliciesClient({ ...gax, ...gaxAuth, fallback: true } as never),
    services: new run.ServicesClient({ ...gax, ...gaxAuth, fallback: true } as never),
  };
}

/** Ambient: Application Default Credentials (GKE workload identity). Secret: a key file or a token. */
async function authFor(account: AccountRequest, secrets: SecretReader): Promise<GoogleAuth | OAuth2Client> {
  const ref = credentialsSecretRef(account);
  if (!ref) return new GoogleAuth({ scopes: SCOPES });
  const data = await readCredentialsSecret(ref, secrets);
  const token = data[SECRET_KEYS.accessToken];
  if (token) {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    return client;
  }
  const json = data[SECRET_KEYS.credentialsJson];
  if (!json) {
    throw terminal(
      Reason.InvalidCredentials,
      `Secret ${ref.namespace}/${ref.name} must hold ${SECRET_KEYS.credentialsJson} (a service account key or external account configuration) or ${SECRET_KEYS.accessToken}`,
    );
  }
  try {
    return new GoogleAuth({ credentials: JSON.parse(json), scopes: SCOPES });
  } catch (err) {
    throw terminal(
      Reason.InvalidCredentials,
      `Secret ${ref.namespace}/${ref.name}: ${SECRET_KEYS.credentialsJson} is not valid JSON`,
      err,
    );
  }
}
