/**
 * Resource Manager v3 projects (`@google-cloud/resource-manager` ProjectsClient over REST): get,
 * getIamPolicy, setIamPolicy, testIamPermissions, under `/v3/projects/{PROJECT_ID | PROJECT_NUMBER}`.
 * The client asks for `$alt=json;enum-encoding=int`, so enums (a project's `state`, an audit log
 * config's `logType`) are answered as numbers.
 */
import { type Handler, type HandlerContext, param } from './context.js';
import { permissionDenied } from './errors.js';
import {
  applySetPolicy,
  parseSetPolicyRequest,
  policyJson,
  readPolicy,
  requestedVersionOf,
} from './iam-policy.js';
import { timestamp } from './ids.js';
import { fields, stringList } from './json.js';
import type { GcpOperation } from './routing.js';
import type { ProjectRecord } from './store.js';

const CRM = 'cloudresourcemanager.googleapis.com';
const ACTIVE = { name: 'ACTIVE', number: 1 };

/**
 * The project the path names. Resource Manager does not say whether a project exists to a caller
 * without access: an unknown one is 403 PERMISSION_DENIED naming the permission and the resource.
 */
function project(context: HandlerContext, permission: string): ProjectRecord {
  const id = param(context, 0);
  const found = context.store.project(id);
  if (!found) throw permissionDenied(permission, CRM, `//cloudresourcemanager.googleapis.com/projects/${id}`);
  return found;
}

const get: Handler = (context) => {
  const found = project(context, 'resourcemanager.projects.get');
  return {
    name: `projects/${found.projectNumber}`,
    projectId: found.projectId,
    state: context.enumsAsInts ? ACTIVE.number : ACTIVE.name,
    displayName: found.displayName,
    createTime: timestamp(found.createTime),
    updateTime: timestamp(found.createTime),
    etag: Buffer.from(`${found.projectNumber}:${found.createTime}`).toString('base64'),
  };
};

const getIamPolicy: Handler = (context) => {
  const found = project(context, 'resourcemanager.projects.getIamPolicy');
  return policyJson(
    readPolicy(found.policy, requestedVersionOf(context.body, context.query)),
    context.enumsAsInts,
  );
};

const setIamPolicy: Handler = (context) => {
  const found = project(context, 'resourcemanager.projects.setIamPolicy');
  const request = parseSetPolicyRequest(context.body);
  found.policy = applySetPolicy(found.policy, request, context.store.memberCheck(true));
  return policyJson(readPolicy(found.policy, 3), context.enumsAsInts);
};

/**
 * The permissions the caller has, of those asked: all but the ones taken away with
 * `denyPermission()`; none on a project the fake does not serve (not an error, as documented).
 */
const testIamPermissions: Handler = (context) => {
  const request = fields(context.body, '', ['permissions']);
  const asked = stringList(request, 'permissions', '');
  const granted = context.store.project(param(context, 0))
    ? asked.filter((permission) => !context.isDenied(permission))
    : [];
  return granted.length > 0 ? { permissions: granted } : {};
};

export const RESOURCE_MANAGER_HANDLERS = {
  'projects.get': get,
  'projects.getIamPolicy': getIamPolicy,
  'projects.setIamPolicy': setIamPolicy,
  'projects.testIamPermissions': testIamPermissions,
} satisfies Partial<Record<GcpOperation, Handler>>;
