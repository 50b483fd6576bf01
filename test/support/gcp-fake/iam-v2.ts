/**
 * IAM v2 deny policies (`@google-cloud/iam` v2.PoliciesClient over REST) attached to projects:
 * create, list, get, update, delete under `/v2/policies/{attachment point}/denypolicies`, and the
 * long-running operations create, update and delete return (`GET .../operations/{id}`).
 *
 * A write takes effect when it is answered; its operation says `done: true` at once, or (with
 * `operationPolls: n`) `done: false` until it has been polled n times.
 */
import { type Handler, type HandlerContext, param } from './context.js';
import {
  attachedProject,
  checkPolicyId,
  type DenyPolicy,
  denyPolicyJson,
  denyPolicyName,
  parseDenyPolicy,
} from './deny-policy.js';
import { aborted, alreadyExists, notFound, permissionDenied } from './errors.js';
import { newEtag, newOperationId, newUid, timestamp } from './ids.js';
import type { JsonObject } from './json.js';
import type { GcpOperation } from './routing.js';
import type { OperationRecord, ProjectRecord } from './store.js';

const IAM = 'iam.googleapis.com';
const POLICY_TYPE = 'type.googleapis.com/google.iam.v2.Policy';
const METADATA_TYPE = 'type.googleapis.com/google.iam.v2.PolicyOperationMetadata';

/** The project of the attachment point; one the fake does not serve is 403, as IAM answers. */
function project(context: HandlerContext, permission: string): ProjectRecord {
  const found = context.store.project(attachedProject(param(context, 0)));
  if (!found) throw permissionDenied(permission, IAM);
  return found;
}

function existing(target: ProjectRecord, policyId: string): DenyPolicy {
  const found = target.denyPolicies.get(policyId);
  if (!found) throw notFound(`Policy ${denyPolicyName(target.projectNumber, policyId)} not found.`);
  return found;
}

const staleEtag = (name: string, sent: string, current: string): Error =>
  aborted(
    `The etag '${sent}' of policy ${name} does not match its current etag '${current}': ` +
      'there were concurrent changes. Read the policy again and retry.',
  );

function operationJson(operation: OperationRecord): JsonObject {
  const done = operation.pollsLeft <= 0;
  return {
    name: operation.name,
    metadata: { '@type': METADATA_TYPE, createTime: timestamp(operation.createTime) },
    done,
    ...(done ? { response: operation.response } : {}),
  };
}

/** A new operation for a write whose outcome is `policy` (with `deleteTime` for a delete). */
function startOperation(context: HandlerContext, policy: DenyPolicy, deleteTime?: number): JsonObject {
  const operation: OperationRecord = {
    name: `${policy.name}/operations/${newOperationId()}`,
    createTime: context.store.now(),
    pollsLeft: context.store.operationPolls,
    response: {
      '@type': POLICY_TYPE,
      ...denyPolicyJson(policy, { withRules: true, ...(deleteTime !== undefined ? { deleteTime } : {}) }),
    },
  };
  context.store.addOperation(operation);
  return operationJson(operation);
}

const create: Handler = (context) => {
  const target = project(context, 'iam.denypolicies.create');
  const policyId = checkPolicyId(context.query.get('policyId'));
  const input = parseDenyPolicy(context.body);
  const name = denyPolicyName(target.projectNumber, policyId);
  if (target.denyPolicies.has(policyId)) throw alreadyExists(`Policy ${name} already exists.`, name);
  const now = context.store.now();
  const policy: DenyPolicy = {
    name,
    policyId,
    uid: newUid(),
    displayName: input.displayName ?? '',
    annotations: input.annotations ?? {},
    etag: newEtag(),
    createTime: now,
    updateTime: now,
    rules: input.rules,
  };
  target.denyPolicies.set(policyId, policy);
  return startOperation(context, policy);
};

/** Metadata only: ListPolicies leaves the rules out. IAM ignores page_size and returns up to 1000. */
const list: Handler = (context) => {
  const target = project(context, 'iam.denypolicies.list');
  const policies = [...target.denyPolicies.values()]
    .sort((a, b) => (a.policyId < b.policyId ? -1 : 1))
    .map((policy) => denyPolicyJson(policy, { withRules: false }));
  return policies.length > 0 ? { policies } : {};
};

const get: Handler = (context) => {
  const target = project(context, 'iam.denypolicies.get');
  return denyPolicyJson(existing(target, param(context, 1)), { withRules: true });
};

/**
 * Replaces the rules and the display name (the only fields UpdatePolicy changes). The etag must be
 * the current one: a different or missing etag is 409 ABORTED.
 */
const update: Handler = (context) => {
  const target = project(context, 'iam.denypolicies.update');
  const current = existing(target, param(context, 1));
  const input = parseDenyPolicy(context.body);
  if (input.etag !== current.etag) throw staleEtag(current.name, input.etag ?? '', current.etag);
  const policy: DenyPolicy = {
    ...current,
    displayName: input.displayName ?? '',
    rules: input.rules,
    etag: newEtag(),
    updateTime: context.store.now(),
  };
  target.denyPolicies.set(policy.policyId, policy);
  return startOperation(context, policy);
};

/** `?etag=` is optional: without it the policy is deleted whatever its etag. */
const remove: Handler = (context) => {
  const target = project(context, 'iam.denypolicies.delete');
  const current = existing(target, param(context, 1));
  const etag = context.query.get('etag');
  if (etag && etag !== current.etag) throw staleEtag(current.name, etag, current.etag);
  target.denyPolicies.delete(current.policyId);
  return startOperation(context, current, context.store.now());
};

/** Polling: each poll brings a pending operation one step closer to done. */
const getOperation: Handler = (context) => {
  const attachment = param(context, 0);
  const segment = attachment.includes('%') ? attachment : attachment.replaceAll('/', '%2F');
  const name = `policies/${segment}/denypolicies/${param(context, 1)}/operations/${param(context, 2)}`;
  const operation = context.store.operation(name);
  if (!operation) throw notFound(`Operation ${name} not found.`);
  if (operation.pollsLeft > 0) operation.pollsLeft--;
  return operationJson(operation);
};

export const IAM_V2_HANDLERS = {
  'denyPolicies.create': create,
  'denyPolicies.list': list,
  'denyPolicies.get': get,
  'denyPolicies.update': update,
  'denyPolicies.delete': remove,
  'operations.get': getOperation,
} satisfies Partial<Record<GcpOperation, Handler>>;
