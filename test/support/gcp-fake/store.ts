/**
 * Everything the fake Google Cloud holds: projects with their allow policies and deny policies,
 * service accounts with theirs, and the long-running operations of IAM v2. Handlers (per API) and the
 * test-side state API both work on this; neither talks HTTP here.
 */
import { type DenyPolicy, markPrincipalDeleted } from './deny-policy.js';
import { alreadyExists, invalidArgument } from './errors.js';
import { EMPTY_POLICY, type MemberCheck, markMemberDeleted, type StoredPolicy } from './iam-policy.js';
import { newEtag, newUniqueId } from './ids.js';
import type { JsonObject } from './json.js';

export interface GcpProject {
  readonly projectId: string;
  /** Decimal digits, e.g. `123456789012`. */
  readonly projectNumber: string;
  readonly displayName?: string;
}

export interface ProjectRecord {
  readonly projectId: string;
  readonly projectNumber: string;
  readonly displayName: string;
  readonly createTime: number;
  policy: StoredPolicy;
  /** By policy ID. */
  readonly denyPolicies: Map<string, DenyPolicy>;
}

export interface AccountRecord {
  readonly projectId: string;
  readonly accountId: string;
  readonly email: string;
  readonly uniqueId: string;
  displayName: string;
  description: string;
  etag: string;
  disabled: boolean;
  readonly createTime: number;
  /** Reads before this time answer 404, as IAM does for a while after a create. */
  readonly visibleAt: number;
  policy: StoredPolicy;
}

export interface OperationRecord {
  readonly name: string;
  readonly createTime: number;
  /** How many more polls answer `done: false`. */
  pollsLeft: number;
  /** The `response` once done (a Policy, with its `@type`). */
  readonly response: JsonObject;
}

/** A Cloud Run service, as far as the fake keeps one. */
export interface RunServiceRecord {
  /** `projects/PROJECT_ID/locations/REGION/services/NAME`. */
  readonly name: string;
  readonly uid: string;
  generation: number;
  /** The revision template's service account; '' for the default compute service account. */
  serviceAccount: string;
  /** The revision template's container image (kept, so a patch can be seen to leave it). */
  image: string;
  etag: string;
  readonly createTime: number;
  updateTime: number;
}

/**
 * What Policy Analyzer holds for a service account that authenticated: the last time, and the
 * observation period the activity was built from (epoch milliseconds).
 */
export interface LastAuthenticationRecord {
  readonly email: string;
  readonly lastAuthenticatedTime: number;
  readonly observationStart: number;
  readonly observationEnd: number;
}

/** A Cloud Run operation: done after `pollsLeft` polls, its response the service as written. */
export interface RunOperationRecord {
  readonly name: string;
  pollsLeft: number;
  readonly service: JsonObject;
}

export interface StoreOptions {
  readonly now: () => number;
  readonly consistencyDelayMs: number;
  readonly operationPolls: number;
}

const ACCOUNT_ID = /^[a-z](?:[-a-z0-9]*[a-z0-9])?$/;
const SERVICE_ACCOUNT_EMAIL = /^([^@]+)@([^.@]+)\.iam\.gserviceaccount\.com$/;

/** IAM's rule for `accountId`: 6 to 30 characters, `[a-z]([-a-z0-9]*[a-z0-9])` (RFC 1035). */
export function checkAccountId(accountId: string | undefined): string {
  if (!accountId) throw invalidArgument('Request is missing the required field "account_id".');
  if (accountId.length < 6 || accountId.length > 30 || !ACCOUNT_ID.test(accountId)) {
    throw invalidArgument(
      `Invalid account_id '${accountId}': it must be 6 to 30 characters long and match the regular ` +
        'expression [a-z]([-a-z0-9]*[a-z0-9]).',
    );
  }
  return accountId;
}

export function checkAccountText(displayName: string, description: string): void {
  if (displayName.length > 100) throw invalidArgument('display_name is longer than 100 characters.');
  if (description.length > 256) throw invalidArgument('description is longer than 256 characters.');
}

export class GcpStore {
  readonly now: () => number;
  consistencyDelayMs: number;
  operationPolls: number;
  readonly #projects = new Map<string, ProjectRecord>();
  /** By email. */
  readonly #accounts = new Map<string, AccountRecord>();
  readonly #uniqueIds = new Set<string>();
  readonly #operations = new Map<string, OperationRecord>();
  /** Cloud Run services by full name. */
  readonly runServices = new Map<string, RunServiceRecord>();
  /** Cloud Run operations by full name. */
  readonly runOperations = new Map<string, RunOperationRecord>();
  /** Policy Analyzer's serviceAccountLastAuthentication activities, by service account email. */
  readonly lastAuthentications = new Map<string, LastAuthenticationRecord>();

  constructor(options: StoreOptions) {
    this.now = options.now;
    this.consistencyDelayMs = options.consistencyDelayMs;
    this.operationPolls = options.operationPolls;
  }

  // -- projects ---------------------------------------------------------------------------------

  addProject(project: GcpProject): ProjectRecord {
    if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(project.projectId)) {
      throw new Error(`gcp-fake: '${project.projectId}' is not a valid project ID`);
    }
    if (!/^[1-9]\d{0,18}$/.test(project.projectNumber)) {
      throw new Error(`gcp-fake: '${project.projectNumber}' is not a valid project number`);
    }
    if (this.project(project.projectId) || this.project(project.projectNumber)) {
      throw new Error(`gcp-fake: project ${project.projectId} (${project.projectNumber}) exists already`);
    }
    const record: ProjectRecord = {
      projectId: project.projectId,
      projectNumber: project.projectNumber,
      displayName: project.displayName ?? project.projectId,
      createTime: this.now(),
      policy: EMPTY_POLICY,
      denyPolicies: new Map(),
    };
    this.#projects.set(project.projectId, record);
    return record;
  }

  /** By project ID or number. */
  project(idOrNumber: string): ProjectRecord | undefined {
    return (
      this.#projects.get(idOrNumber) ??
      [...this.#projects.values()].find((project) => project.projectNumber === idOrNumber)
    );
  }

  projects(): ProjectRecord[] {
    return [...this.#projects.values()];
  }

  // -- service accounts -------------------------------------------------------------------------

  /** By email or unique ID, visible or not. */
  account(emailOrUniqueId: string): AccountRecord | undefined {
    return (
      this.#accounts.get(emailOrUniqueId.toLowerCase()) ??
      [...this.#accounts.values()].find((account) => account.uniqueId === emailOrUniqueId)
    );
  }

  accounts(projectId?: string): AccountRecord[] {
    return [...this.#accounts.values()]
      .filter((account) => projectId === undefined || account.projectId === projectId)
      .sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  }

  isVisible(account: AccountRecord): boolean {
    return this.now() >= account.visibleAt;
  }

  createAccount(
    project: ProjectRecord,
    accountId: string,
    text: { displayName: string; description: string },
    visibleAt: number,
  ): AccountRecord {
    checkAccountId(accountId);
    checkAccountText(text.displayName, text.description);
    const email = `${accountId}@${project.projectId}.iam.gserviceaccount.com`;
    if (this.#accounts.has(email)) {
      throw alreadyExists(
        `Service account ${accountId} already exists within project projects/${project.projectId}.`,
        `projects/${project.projectId}/serviceAccounts/${email}`,
      );
    }
    const uniqueId = newUniqueId((id) => this.#uniqueIds.has(id));
    this.#uniqueIds.add(uniqueId);
    const record: AccountRecord = {
      projectId: project.projectId,
      accountId,
      email,
      uniqueId,
      displayName: text.displayName,
      description: text.description,
      etag: newEtag(),
      disabled: false,
      createTime: this.now(),
      visibleAt,
      policy: EMPTY_POLICY,
    };
    this.#accounts.set(email, record);
    return record;
  }

  /**
   * Deletes an account and its policy. Grants to it elsewhere turn into
   * `deleted:serviceAccount:EMAIL?uid=ID` (allow policies) and `deleted:principal://...?uid=ID` (deny
   * rules), as IAM shows them.
   */
  deleteAccount(account: AccountRecord): void {
    this.#accounts.delete(account.email);
    for (const other of this.#accounts.values()) {
      other.policy = markMemberDeleted(other.policy, account.email, account.uniqueId);
    }
    for (const project of this.#projects.values()) {
      project.policy = markMemberDeleted(project.policy, account.email, account.uniqueId);
      for (const [id, policy] of project.denyPolicies) {
        project.denyPolicies.set(id, markPrincipalDeleted(policy, account.email, account.uniqueId));
      }
    }
  }

  /**
   * IAM refuses to grant to a service account of a known project that does not exist (yet):
   * `Service account EMAIL does not exist.` `visibleOnly`: as the API sees it (not before the
   * consistency delay is over); false for the test API.
   */
  memberCheck(visibleOnly: boolean): MemberCheck {
    return {
      serviceAccountExists: (email) => {
        const match = SERVICE_ACCOUNT_EMAIL.exec(email.toLowerCase());
        if (!match?.[2] || !this.#projects.has(match[2])) return undefined;
        const account = this.#accounts.get(email.toLowerCase());
        return account !== undefined && (!visibleOnly || this.isVisible(account));
      },
    };
  }

  // -- long-running operations (IAM v2) ---------------------------------------------------------

  addOperation(operation: OperationRecord): void {
    this.#operations.set(operation.name, operation);
  }

  operation(name: string): OperationRecord | undefined {
    return this.#operations.get(name);
  }

  /** Everything but the projects themselves: their policies are emptied. */
  reset(): void {
    this.#accounts.clear();
    this.#uniqueIds.clear();
    this.#operations.clear();
    this.runServices.clear();
    this.runOperations.clear();
    this.lastAuthentications.clear();
    for (const project of this.#projects.values()) {
      project.policy = EMPTY_POLICY;
      project.denyPolicies.clear();
    }
  }
}
