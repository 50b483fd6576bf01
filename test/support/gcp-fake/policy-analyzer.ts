/**
 * Policy Analyzer v1 `activities:query` (GET
 * `/v1/projects/{PROJECT_ID | PROJECT_NUMBER}/locations/global/activityTypes/serviceAccountLastAuthentication/activities:query`),
 * as Google documents it: `filter` on `activities.full_resource_name` (or `activities.fullResourceName`)
 * `= "//iam.googleapis.com/projects/P/serviceAccounts/EMAIL"`, `pageSize` (at most 1000) and
 * `pageToken`; the answer `{activities: [{fullResourceName, activityType, observationPeriod,
 * activity: {lastAuthenticatedTime, serviceAccount}}], nextPageToken}`, `{}` when nothing matches.
 * Only the serviceAccountLastAuthentication activity type is served.
 */
import { type Handler, type HandlerContext, param } from './context.js';
import { invalidArgument, permissionDenied } from './errors.js';
import { timestamp } from './ids.js';
import type { JsonObject } from './json.js';
import type { GcpOperation } from './routing.js';
import type { LastAuthenticationRecord, ProjectRecord } from './store.js';

const API = 'policyanalyzer.googleapis.com';
const PERMISSION = 'policyanalyzer.serviceAccountLastAuthenticationActivities.query';
export const LAST_AUTHENTICATION = 'serviceAccountLastAuthentication';
const MAX_PAGE_SIZE = 1000;
const FILTER = /^\s*activities\.(?:full_resource_name|fullResourceName)\s*=\s*"([^"]*)"\s*$/;

export function serviceAccountFullName(projectId: string, email: string): string {
  return `//iam.googleapis.com/projects/${projectId}/serviceAccounts/${email}`;
}

/** An unknown project is refused as one the caller may not see, as Google does. */
function project(context: HandlerContext): ProjectRecord {
  const id = param(context, 0);
  const found = context.store.project(id);
  if (!found) throw permissionDenied(PERMISSION, API, `//cloudresourcemanager.googleapis.com/projects/${id}`);
  return found;
}

function pageSizeOf(query: URLSearchParams): number {
  const raw = query.get('pageSize');
  if (raw === null || raw === '') return MAX_PAGE_SIZE;
  const size = Number(raw);
  if (!Number.isInteger(size)) throw invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), "${raw}"`);
  return size <= 0 ? MAX_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
}

function activityJson(found: ProjectRecord, record: LastAuthenticationRecord, uniqueId: string): JsonObject {
  const name = serviceAccountFullName(found.projectId, record.email);
  return {
    fullResourceName: name,
    activityType: LAST_AUTHENTICATION,
    observationPeriod: {
      startTime: timestamp(record.observationStart),
      endTime: timestamp(record.observationEnd),
    },
    activity: {
      lastAuthenticatedTime: timestamp(record.lastAuthenticatedTime),
      serviceAccount: {
        serviceAccountId: uniqueId,
        projectNumber: found.projectNumber,
        fullResourceName: name,
      },
    },
  };
}

const query: Handler = (context) => {
  const found = project(context);
  const location = param(context, 1);
  if (location !== 'global') throw invalidArgument(`Location ${location} is not supported; use global.`);
  const type = param(context, 2);
  if (type !== LAST_AUTHENTICATION) {
    throw invalidArgument(`gcp-fake serves only the ${LAST_AUTHENTICATION} activity type, not ${type}.`);
  }
  const filter = context.query.get('filter') ?? '';
  let wanted: string | undefined;
  if (filter.trim() !== '') {
    wanted = FILTER.exec(filter)?.[1];
    if (wanted === undefined) throw invalidArgument(`Invalid filter: ${filter}`);
  }
  const matching = [...context.store.lastAuthentications.values()]
    .filter((record) => context.store.account(record.email)?.projectId === found.projectId)
    .filter(
      (record) => wanted === undefined || serviceAccountFullName(found.projectId, record.email) === wanted,
    )
    .sort((a, b) => (a.email < b.email ? -1 : 1));
  const token = context.query.get('pageToken') ?? '';
  const start = token === '' ? 0 : Number(token);
  if (!(Number.isInteger(start) && start >= 0 && start <= matching.length)) {
    throw invalidArgument(`Invalid page token: ${token}`);
  }
  const size = pageSizeOf(context.query);
  const page = matching.slice(start, start + size);
  if (page.length === 0) return {};
  const next = start + size < matching.length ? String(start + size) : undefined;
  return {
    activities: page.map((record) =>
      activityJson(found, record, context.store.account(record.email)?.uniqueId ?? ''),
    ),
    ...(next ? { nextPageToken: next } : {}),
  };
};

export const POLICY_ANALYZER_HANDLERS = {
  'activities.query': query,
} satisfies Partial<Record<GcpOperation, Handler>>;
