/**
 * The test side of the fake: read and write what it holds without going through the API (nothing
 * here is counted, faulted or delayed), e.g. to make an out-of-band change the way another tool
 * would and check that Keyless notices. Writes are validated as the API validates them.
 */
import { newRunService, serviceJson } from './cloud-run.js';
import {
  checkPolicyId,
  type DenyPolicy,
  type DenyPolicyInput,
  denyPolicyName,
  parseDenyPolicy,
} from './deny-policy.js';
import {
  canonicalBindings,
  type IamPolicy,
  type IamPolicyInput,
  readPolicy,
  type StoredPolicy,
} from './iam-policy.js';
import { newEtag, newUid } from './ids.js';
import type { JsonObject } from './json.js';
import {
  type AccountRecord,
  checkAccountText,
  type GcpProject,
  type GcpStore,
  type ProjectRecord,
} from './store.js';

/** A service account as tests see it. */
export interface ServiceAccount {
  readonly projectId: string;
  readonly accountId: string;
  readonly email: string;
  readonly uniqueId: string;
  readonly displayName: string;
  readonly description: string;
  readonly etag: string;
  readonly disabled: boolean;
  /** Epoch milliseconds (of the fake's clock). */
  readonly createTime: number;
  /** When the API starts to see it (epoch milliseconds). */
  readonly visibleAt: number;
}

export interface NewServiceAccount {
  readonly displayName?: string;
  readonly description?: string;
  /** Hidden from the API for this long, as after an API create. Default 0: visible at once. */
  readonly consistencyDelayMs?: number;
}

export interface GcpFakeState {
  /** Adds a project (no service accounts, an empty policy). */
  addProject(project: GcpProject): void;
  projects(): GcpProject[];

  serviceAccount(email: string): ServiceAccount | undefined;
  /** Sorted by email; hidden ones (still in their consistency delay) included. */
  serviceAccounts(projectId?: string): ServiceAccount[];
  createServiceAccount(projectId: string, accountId: string, options?: NewServiceAccount): ServiceAccount;
  updateServiceAccount(
    email: string,
    changes: { readonly displayName?: string; readonly description?: string; readonly disabled?: boolean },
  ): ServiceAccount;
  /** As the API deletes: grants to it elsewhere become `deleted:serviceAccount:EMAIL?uid=ID`. */
  deleteServiceAccount(email: string): void;

  /** The version 3 view (conditions included), with the current etag. */
  projectPolicy(projectId: string): IamPolicy;
  /** Replaces the policy (no etag check); a new etag. */
  setProjectPolicy(projectId: string, policy: IamPolicyInput): IamPolicy;
  /** Read-modify-write in one step, e.g. to add a foreign binding. */
  editProjectPolicy(projectId: string, edit: (policy: IamPolicy) => IamPolicyInput): IamPolicy;
  serviceAccountPolicy(email: string): IamPolicy;
  setServiceAccountPolicy(email: string, policy: IamPolicyInput): IamPolicy;
  editServiceAccountPolicy(email: string, edit: (policy: IamPolicy) => IamPolicyInput): IamPolicy;

  denyPolicy(projectId: string, policyId: string): DenyPolicy | undefined;
  denyPolicies(projectId: string): DenyPolicy[];
  /** Creates or replaces a deny policy (a new etag either way). */
  putDenyPolicy(projectId: string, policyId: string, policy: DenyPolicyInput): DenyPolicy;
  deleteDenyPolicy(projectId: string, policyId: string): void;

  /**
   * Policy Analyzer records that the service account authenticated at `at` (epoch milliseconds),
   * observed from `observedFrom` (default `at`) to `observedTo` (default the fake's now).
   */
  recordAuthentication(
    email: string,
    at: number,
    options?: { observedFrom?: number; observedTo?: number },
  ): void;
  /** Forgets the service account's last authentication (Policy Analyzer then answers no activity). */
  clearAuthentication(email: string): void;

  /** A Cloud Run service (`projects/P/locations/L/services/S`) as the API answers it, or undefined. */
  runService(name: string): JsonObject | undefined;
  /** Creates a Cloud Run service in a project of the fake (serviceAccount '' or absent: the default). */
  createRunService(name: string, options?: { serviceAccount?: string; image?: string }): JsonObject;
  /** Changes a service's revision template service account, as another tool would (a new generation). */
  setRunServiceAccount(name: string, serviceAccount: string): JsonObject;
  deleteRunService(name: string): void;
}

const view = (account: AccountRecord): ServiceAccount => ({
  projectId: account.projectId,
  accountId: account.accountId,
  email: account.email,
  uniqueId: account.uniqueId,
  displayName: account.displayName,
  description: account.description,
  etag: account.etag,
  disabled: account.disabled,
  createTime: account.createTime,
  visibleAt: account.visibleAt,
});

const copy = <T>(value: T): T => structuredClone(value);

export function stateApi(store: GcpStore): GcpFakeState {
  const project = (id: string): ProjectRecord => {
    const found = store.project(id);
    if (!found) throw new Error(`gcp-fake: no project ${id}`);
    return found;
  };
  const account = (email: string): AccountRecord => {
    const found = store.account(email);
    if (!found) throw new Error(`gcp-fake: no service account ${email}`);
    return found;
  };
  const write = (policy: IamPolicyInput): StoredPolicy => ({
    etag: newEtag(),
    bindings: canonicalBindings(policy.bindings ?? [], store.memberCheck(false)),
    auditConfigs: copy(policy.auditConfigs ?? []),
  });
  const read = (policy: StoredPolicy): IamPolicy => copy(readPolicy(policy, 3));

  return {
    addProject: (added) => {
      store.addProject(added);
    },
    projects: () =>
      store
        .projects()
        .map(({ projectId, projectNumber, displayName }) => ({ projectId, projectNumber, displayName })),

    serviceAccount: (email) => {
      const found = store.account(email);
      return found ? view(found) : undefined;
    },
    serviceAccounts: (projectId) => store.accounts(projectId).map(view),
    createServiceAccount: (projectId, accountId, options = {}) =>
      view(
        store.createAccount(
          project(projectId),
          accountId,
          { displayName: options.displayName ?? '', description: options.description ?? '' },
          store.now() + (options.consistencyDelayMs ?? 0),
        ),
      ),
    updateServiceAccount: (email, changes) => {
      const found = account(email);
      const displayName = changes.displayName ?? found.displayName;
      const description = changes.description ?? found.description;
      checkAccountText(displayName, description);
      found.displayName = displayName;
      found.description = description;
      found.disabled = changes.disabled ?? found.disabled;
      found.etag = newEtag();
      return view(found);
    },
    deleteServiceAccount: (email) => store.deleteAccount(account(email)),

    projectPolicy: (projectId) => read(project(projectId).policy),
    setProjectPolicy: (projectId, policy) => {
      const found = project(projectId);
      found.policy = write(policy);
      return read(found.policy);
    },
    editProjectPolicy: (projectId, edit) => {
      const found = project(projectId);
      found.policy = write(edit(read(found.policy)));
      return read(found.policy);
    },
    serviceAccountPolicy: (email) => read(account(email).policy),
    setServiceAccountPolicy: (email, policy) => {
      const found = account(email);
      found.policy = write(policy);
      return read(found.policy);
    },
    editServiceAccountPolicy: (email, edit) => {
      const found = account(email);
      found.policy = write(edit(read(found.policy)));
      return read(found.policy);
    },

    denyPolicy: (projectId, policyId) => {
      const found = project(projectId).denyPolicies.get(policyId);
      return found ? copy(found) : undefined;
    },
    denyPolicies: (projectId) =>
      [...project(projectId).denyPolicies.values()]
        .sort((a, b) => (a.policyId < b.policyId ? -1 : 1))
        .map(copy),
    putDenyPolicy: (projectId, policyId, input) => {
      const found = project(projectId);
      checkPolicyId(policyId);
      const parsed = parseDenyPolicy(copy(input) as unknown as JsonObject);
      const existing = found.denyPolicies.get(policyId);
      const now = store.now();
      const policy: DenyPolicy = {
        name: denyPolicyName(found.projectNumber, policyId),
        policyId,
        uid: existing?.uid ?? newUid(),
        displayName: parsed.displayName ?? '',
        annotations: parsed.annotations ?? {},
        etag: newEtag(),
        createTime: existing?.createTime ?? now,
        updateTime: now,
        rules: parsed.rules,
      };
      found.denyPolicies.set(policyId, policy);
      return copy(policy);
    },
    recordAuthentication: (email, at, options = {}) => {
      const found = account(email);
      store.lastAuthentications.set(found.email, {
        email: found.email,
        lastAuthenticatedTime: at,
        observationStart: options.observedFrom ?? at,
        observationEnd: options.observedTo ?? Math.max(at, store.now()),
      });
    },
    clearAuthentication: (email) => {
      store.lastAuthentications.delete(email);
    },
    runService: (name) => {
      const found = store.runServices.get(name);
      return found ? serviceJson(found) : undefined;
    },
    createRunService: (name, options = {}) => {
      const match = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/.exec(name);
      if (!match?.[1]) throw new Error(`gcp-fake: ${name} is not projects/P/locations/L/services/S`);
      project(match[1]);
      if (store.runServices.has(name)) throw new Error(`gcp-fake: service ${name} exists already`);
      const created = newRunService(name, options, store.now());
      store.runServices.set(name, created);
      return serviceJson(created);
    },
    setRunServiceAccount: (name, serviceAccount) => {
      const found = store.runServices.get(name);
      if (!found) throw new Error(`gcp-fake: no service ${name}`);
      found.serviceAccount = serviceAccount;
      found.generation += 1;
      found.etag = newEtag();
      found.updateTime = store.now();
      return serviceJson(found);
    },
    deleteRunService: (name) => {
      if (!store.runServices.delete(name)) throw new Error(`gcp-fake: no service ${name}`);
    },
    deleteDenyPolicy: (projectId, policyId) => {
      if (!project(projectId).denyPolicies.delete(policyId)) {
        throw new Error(`gcp-fake: no deny policy ${policyId} in project ${projectId}`);
      }
    },
  };
}
