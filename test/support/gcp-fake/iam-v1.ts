/**
 * IAM v1 service accounts (`@googleapis/iam`, `iam({ version: 'v1' })`): create, list, get, patch,
 * delete, getIamPolicy, setIamPolicy, under `/v1/projects/{project}/serviceAccounts`. An account is
 * addressed as `projects/{PROJECT_ID | PROJECT_NUMBER | -}/serviceAccounts/{EMAIL | UNIQUE_ID}`.
 */
import { type Handler, type HandlerContext, param } from './context.js';
import { invalidArgument, notFound, permissionDenied } from './errors.js';
import {
  applySetPolicy,
  parseSetPolicyRequest,
  policyJson,
  readPolicy,
  requestedVersionOf,
} from './iam-policy.js';
import { newEtag } from './ids.js';
import { fieldMask, fields, type JsonObject, optionalString } from './json.js';
import type { GcpOperation } from './routing.js';
import type { AccountRecord, ProjectRecord } from './store.js';
import { checkAccountText } from './store.js';

const IAM = 'iam.googleapis.com';
const ACCOUNT_FIELDS = [
  'name',
  'projectId',
  'uniqueId',
  'email',
  'displayName',
  'etag',
  'description',
  'oauth2ClientId',
  'disabled',
];
const PATCHABLE = ['displayName', 'description'];

/** A service account as IAM answers: empty strings and `disabled: false` are left out, as Google's JSON does. */
export function accountJson(account: AccountRecord): JsonObject {
  return {
    name: `projects/${account.projectId}/serviceAccounts/${account.email}`,
    projectId: account.projectId,
    uniqueId: account.uniqueId,
    email: account.email,
    ...(account.displayName ? { displayName: account.displayName } : {}),
    etag: account.etag,
    ...(account.description ? { description: account.description } : {}),
    oauth2ClientId: account.uniqueId,
    ...(account.disabled ? { disabled: true } : {}),
  };
}

/** The project of a create or list; one the fake does not serve is a 403, as IAM answers. */
function project(context: HandlerContext, permission: string): ProjectRecord {
  const found = context.store.project(param(context, 0));
  if (!found) throw permissionDenied(permission, IAM);
  return found;
}

/** The account the path names, if it exists and is visible yet; else 404. */
function account(context: HandlerContext): AccountRecord {
  const projectSegment = param(context, 0);
  const found = context.store.account(param(context, 1));
  const inProject =
    projectSegment === '-' || (found && context.store.project(projectSegment)?.projectId === found.projectId);
  if (!found || !inProject || !context.store.isVisible(found)) throw notFound('Unknown service account');
  return found;
}

function pageOffset(token: string | null): number {
  if (!token) return 0;
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument(`Invalid page token '${token}'.`);
  return offset;
}

const create: Handler = (context) => {
  const target = project(context, 'iam.serviceAccounts.create');
  const request = fields(context.body, '', ['accountId', 'serviceAccount']);
  const details = fields(request.serviceAccount, 'serviceAccount', ACCOUNT_FIELDS);
  const created = context.store.createAccount(
    target,
    optionalString(request, 'accountId', '') ?? '',
    {
      displayName: optionalString(details, 'displayName', 'serviceAccount') ?? '',
      description: optionalString(details, 'description', 'serviceAccount') ?? '',
    },
    context.store.now() + context.store.consistencyDelayMs,
  );
  return accountJson(created);
};

const list: Handler = (context) => {
  const target = project(context, 'iam.serviceAccounts.list');
  const pageSize = Number(context.query.get('pageSize') ?? 20);
  if (!Number.isInteger(pageSize) || pageSize < 0) throw invalidArgument(`Invalid page_size ${pageSize}.`);
  const visible = context.store.accounts(target.projectId).filter((item) => context.store.isVisible(item));
  const offset = pageOffset(context.query.get('pageToken'));
  const end = offset + Math.min(pageSize || 20, 100);
  const page = visible.slice(offset, end);
  return {
    ...(page.length > 0 ? { accounts: page.map(accountJson) } : {}),
    ...(end < visible.length ? { nextPageToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
};

const get: Handler = (context) => accountJson(account(context));

const patch: Handler = (context) => {
  const target = account(context);
  const request = fields(context.body, '', ['serviceAccount', 'updateMask']);
  const changes = fields(request.serviceAccount, 'serviceAccount', ACCOUNT_FIELDS);
  const mask = fieldMask(request, 'updateMask', '') ?? [];
  if (mask.length === 0) throw invalidArgument('update_mask must name the fields to change.');
  for (const path of mask) {
    if (!PATCHABLE.includes(path)) {
      throw invalidArgument(
        `Invalid update_mask path "${path}": only display_name and description can be patched.`,
      );
    }
  }
  const displayName = mask.includes('displayName')
    ? (optionalString(changes, 'displayName', 'serviceAccount') ?? '')
    : target.displayName;
  const description = mask.includes('description')
    ? (optionalString(changes, 'description', 'serviceAccount') ?? '')
    : target.description;
  checkAccountText(displayName, description);
  target.displayName = displayName;
  target.description = description;
  target.etag = newEtag();
  return accountJson(target);
};

const remove: Handler = (context) => {
  context.store.deleteAccount(account(context));
  return {};
};

const getIamPolicy: Handler = (context) => {
  const target = account(context);
  return policyJson(
    readPolicy(target.policy, requestedVersionOf(context.body, context.query)),
    context.enumsAsInts,
  );
};

const setIamPolicy: Handler = (context) => {
  const target = account(context);
  const request = parseSetPolicyRequest(context.body);
  target.policy = applySetPolicy(target.policy, request, context.store.memberCheck(true));
  return policyJson(readPolicy(target.policy, 3), context.enumsAsInts);
};

export const IAM_V1_HANDLERS = {
  'serviceAccounts.create': create,
  'serviceAccounts.list': list,
  'serviceAccounts.get': get,
  'serviceAccounts.patch': patch,
  'serviceAccounts.delete': remove,
  'serviceAccounts.getIamPolicy': getIamPolicy,
  'serviceAccounts.setIamPolicy': setIamPolicy,
} satisfies Partial<Record<GcpOperation, Handler>>;
