import { v2 } from '@google-cloud/iam';
import { ProjectsClient } from '@google-cloud/resource-manager';
import { iam, type iam_v1 } from '@googleapis/iam';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { Reason } from '../../api/reasons.js';
import { terminal } from '../cloud-error.js';
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

interface Clients {
  iam: iam_v1.Iam;
  projects: ProjectsClient;
  policies: InstanceType<typeof v2.PoliciesClient>;
}

/**
 * IAM v1, Resource Manager v3 and IAM v2 calls for one account, and nothing else: every call waits
 * for the account's rate limiter, and every failure leaves here classified (a CloudError). The gax
 * clients use their REST transport; Keyless owns retries.
 */
export class GcpClient {
  private clients: Promise<Clients> | undefined;

  private readonly calls: CloudCalls;

  constructor(
    private readonly account: AccountRequest,
    private readonly secrets: SecretReader,
    limiter: AccountLimiter,
  ) {
    this.calls = cloudCalls(limiter, classifyGcpError, isNotFound);
  }

  async getServiceAccount(email: string): Promise<ServiceAccount | undefined> {
    return this.optional(
      'serviceAccounts.get',
      async (c) =>
        (await c.iam.projects.serviceAccounts.get({ name: `projects/-/serviceAccounts/${email}` })).data,
    );
  }

  async createServiceAccount(
    projectId: string,
    accountId: string,
    body: { displayName: string; description: string },
  ) {
    return this.call(
      'serviceAccounts.create',
      async (c) =>
        (
          await c.iam.projects.serviceAccounts.create({
            name: `projects/${projectId}`,
            requestBody: { accountId, serviceAccount: body },
          })
        ).data,
    );
  }

  async patchServiceAccount(
    projectId: string,
    email: string,
    body: { displayName: string; description: string },
  ) {
    const name = `projects/${projectId}/serviceAccounts/${email}`;
    return this.call(
      'serviceAccounts.patch',
      async (c) =>
        (
          await c.iam.projects.serviceAccounts.patch({
            name,
            requestBody: { serviceAccount: body, updateMask: 'displayName,description' },
          })
        ).data,
    );
  }

  async deleteServiceAccount(email: string): Promise<void> {
    await this.optional('serviceAccounts.delete', (c) =>
      c.iam.projects.serviceAccounts.delete({ name: `projects/-/serviceAccounts/${email}` }),
    );
  }

  /** A service account's or a project's allow policy, by resource name (projects/P or projects/-/serviceAccounts/E). */
  async getPolicy(resource: string): Promise<IamPolicy> {
    if (resource.includes('/serviceAccounts/')) {
      return this.call(
        'serviceAccounts.getIamPolicy',
        async (c) =>
          (
            await c.iam.projects.serviceAccounts.getIamPolicy({
              resource,
              'options.requestedPolicyVersion': 3,
            })
          ).data as IamPolicy,
      );
    }
    return this.call('projects.getIamPolicy', async (c) => {
      const [policy] = await c.projects.getIamPolicy({ resource, options: { requestedPolicyVersion: 3 } });
      return policy as IamPolicy;
    });
  }

  /** Writes an allow policy; a stale etag fails with a retryable Conflict. */
  async setPolicy(resource: string, policy: IamPolicy): Promise<IamPolicy> {
    if (resource.includes('/serviceAccounts/')) {
      return this.call(
        'serviceAccounts.setIamPolicy',
        async (c) =>
          (
            await c.iam.projects.serviceAccounts.setIamPolicy({
              resource,
              requestBody: { policy: policy as iam_v1.Schema$Policy },
            })
          ).data as IamPolicy,
      );
    }
    return this.call('projects.setIamPolicy', async (c) => {
      const [written] = await c.projects.setIamPolicy({ resource, policy: policy as never });
      return written as IamPolicy;
    });
  }

  async getDenyPolicy(name: string): Promise<DenyPolicy | undefined> {
    return this.optional('denyPolicies.get', async (c) => {
      const [policy] = await c.policies.getPolicy({ name });
      return policy as DenyPolicy;
    });
  }

  async createDenyPolicy(parent: string, policyId: string, policy: DenyPolicy): Promise<void> {
    await this.call('denyPolicies.create', async (c) => {
      const [operation] = await c.policies.createPolicy({ parent, policyId, policy: policy as never });
      await operation.promise();
    });
  }

  async updateDenyPolicy(policy: DenyPolicy): Promise<void> {
    await this.call('denyPolicies.update', async (c) => {
      const [operation] = await c.policies.updatePolicy({ policy: policy as never });
      await operation.promise();
    });
  }

  async deleteDenyPolicy(name: string): Promise<void> {
    await this.optional('denyPolicies.delete', async (c) => {
      const [operation] = await c.policies.deletePolicy({ name });
      await operation.promise();
    });
  }

  private async optional<T>(operation: string, send: (c: Clients) => Promise<T>): Promise<T | undefined> {
    const clients = await this.connect();
    return this.calls.optional(operation, () => send(clients));
  }

  private async call<T>(operation: string, send: (c: Clients) => Promise<T>): Promise<T> {
    const clients = await this.connect();
    return this.calls.call(operation, () => send(clients));
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
  const gaxAuth = auth instanceof OAuth2Client ? { authClient: auth } : { auth };
  return {
    // Keyless owns retries (with backoff and Retry-After); the client's own would ignore Retry-After.
    iam: iam({ version: 'v1', auth, retry: false, ...(endpoint ? { rootUrl: `${endpoint.origin}/` } : {}) }),
    projects: new ProjectsClient({ ...gax, ...gaxAuth, fallback: true } as never),
    policies: new v2.PoliciesClient({ ...gax, ...gaxAuth, fallback: true } as never),
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
