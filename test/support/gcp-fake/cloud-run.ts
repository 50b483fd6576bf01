/**
 * Cloud Run Admin API v2 services (`@google-cloud/run` v2.ServicesClient over REST), as far as
 * Keyless uses them: `GET` and `PATCH /v2/projects/P/locations/L/services/S` (`?updateMask=`), and
 * the long-running operation a patch returns (`GET /v2/projects/P/locations/L/operations/ID`).
 *
 * A patch takes effect when it is answered; its operation answers `done: false`, and is done (its
 * `response` the Service) on the first poll. Only the fields the fake keeps can be masked:
 * `template.service_account` (and `template.containers`, read as the first container's image);
 * another path is 400. Without a mask, the template's service account and image are replaced from
 * the body (absent: cleared), as a full update does.
 */
import { type Handler, type HandlerContext, param } from './context.js';
import { invalidArgument, notFound, permissionDenied } from './errors.js';
import { newEtag, newOperationId, newUid, timestamp } from './ids.js';
import { fieldMask, fields, type JsonObject, objectList, optionalString } from './json.js';
import type { GcpOperation } from './routing.js';
import type { RunServiceRecord } from './store.js';

const RUN = 'run.googleapis.com';
const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';

/** Fields of a v2 Service and RevisionTemplate a body may carry (output-only ones are ignored, as Cloud Run does). */
const SERVICE_FIELDS = [
  'name',
  'description',
  'uid',
  'generation',
  'labels',
  'annotations',
  'createTime',
  'updateTime',
  'deleteTime',
  'expireTime',
  'creator',
  'lastModifier',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'template',
  'traffic',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'urls',
  'iapEnabled',
  'multiRegionSettings',
  'customAudiences',
  'observedGeneration',
  'terminalCondition',
  'conditions',
  'latestReadyRevision',
  'latestCreatedRevision',
  'trafficStatuses',
  'uri',
  'satisfiesPzs',
  'threatDetectionEnabled',
  'buildConfig',
  'reconciling',
  'etag',
];
const TEMPLATE_FIELDS = [
  'revision',
  'labels',
  'annotations',
  'scaling',
  'vpcAccess',
  'timeout',
  'serviceAccount',
  'containers',
  'volumes',
  'executionEnvironment',
  'encryptionKey',
  'maxInstanceRequestConcurrency',
  'serviceMesh',
  'encryptionKeyRevocationAction',
  'encryptionKeyShutdownDuration',
  'sessionAffinity',
  'healthCheckDisabled',
  'nodeSelector',
  'gpuZonalRedundancyDisabled',
];
const MASKABLE = ['template.serviceAccount', 'template.containers'];

export function serviceName(project: string, location: string, service: string): string {
  return `projects/${project}/locations/${location}/services/${service}`;
}

export function serviceJson(service: RunServiceRecord): JsonObject {
  const [, project, , location, , id] = service.name.split('/');
  return {
    name: service.name,
    uid: service.uid,
    generation: String(service.generation),
    createTime: timestamp(service.createTime),
    updateTime: timestamp(service.updateTime),
    template: {
      ...(service.serviceAccount ? { serviceAccount: service.serviceAccount } : {}),
      containers: [{ image: service.image }],
    },
    observedGeneration: String(service.generation),
    uri: `https://${id}-${project}.${location}.run.app`,
    etag: service.etag,
  };
}

/** The service the path names; another project's, or one that does not exist, as Cloud Run answers. */
function existing(context: HandlerContext, permission: string): RunServiceRecord {
  const [project, location, id] = [param(context, 0), param(context, 1), param(context, 2)];
  const name = serviceName(project, location, id);
  if (!context.store.project(project)) throw permissionDenied(permission, RUN, name);
  const found = context.store.runServices.get(name);
  if (!found)
    throw notFound(
      `Resource '${id}' of kind 'SERVICE' in region '${location}' in project '${project}' does not exist.`,
    );
  return found;
}

const get: Handler = (context) => serviceJson(existing(context, 'run.services.get'));

const patch: Handler = (context) => {
  const found = existing(context, 'run.services.update');
  const body = fields(context.body, 'service', SERVICE_FIELDS);
  const name = optionalString(body, 'name', 'service');
  if (name !== undefined && name !== found.name)
    throw invalidArgument(`service.name ${name} does not match the resource ${found.name}.`);
  const template = fields(body.template, 'service.template', TEMPLATE_FIELDS);
  const mask = fieldMask({ updateMask: context.query.get('updateMask') ?? undefined }, 'updateMask', '');
  for (const path of mask ?? []) {
    if (!MASKABLE.includes(path)) throw invalidArgument(`Invalid update_mask path: ${path}.`);
  }
  const sets = (path: string) => mask === undefined || mask.includes(path);
  const serviceAccount = sets('template.serviceAccount')
    ? (optionalString(template, 'serviceAccount', 'service.template') ?? '')
    : found.serviceAccount;
  if (
    serviceAccount !== found.serviceAccount &&
    serviceAccount !== '' &&
    context.isDenied('iam.serviceAccounts.actAs')
  ) {
    throw permissionDenied('iam.serviceAccounts.actAs', RUN, `projects/-/serviceAccounts/${serviceAccount}`);
  }
  let image = found.image;
  if (sets('template.containers')) {
    const [first] = objectList(template, 'containers', 'service.template');
    image =
      optionalString(fields(first, 'service.template.containers[0]', ['image', 'name']), 'image', '') ?? '';
  }
  found.serviceAccount = serviceAccount;
  found.image = image;
  found.generation += 1;
  found.etag = newEtag();
  found.updateTime = context.store.now();
  const [project, location] = [param(context, 0), param(context, 1)];
  const operation = {
    name: `projects/${project}/locations/${location}/operations/${newOperationId()}`,
    pollsLeft: 1,
    service: serviceJson(found),
  };
  context.store.runOperations.set(operation.name, operation);
  return { name: operation.name, metadata: { '@type': SERVICE_TYPE, ...operation.service }, done: false };
};

/** Polling: the operation is done on the first poll, with the service as written. */
const getOperation: Handler = (context) => {
  const name = `projects/${param(context, 0)}/locations/${param(context, 1)}/operations/${param(context, 2)}`;
  const operation = context.store.runOperations.get(name);
  if (!operation) throw notFound(`Operation ${name} not found.`);
  if (operation.pollsLeft > 0) operation.pollsLeft--;
  const done = operation.pollsLeft <= 0;
  return {
    name,
    metadata: { '@type': SERVICE_TYPE, ...operation.service },
    done,
    ...(done ? { response: { '@type': SERVICE_TYPE, ...operation.service } } : {}),
  };
};

export const CLOUD_RUN_HANDLERS = {
  'services.get': get,
  'services.patch': patch,
  'runOperations.get': getOperation,
} satisfies Partial<Record<GcpOperation, Handler>>;

/** A new service record (the test API's `createRunService`). */
export function newRunService(
  name: string,
  options: { serviceAccount?: string; image?: string },
  now: number,
): RunServiceRecord {
  return {
    name,
    uid: newUid(),
    generation: 1,
    serviceAccount: options.serviceAccount ?? '',
    image: options.image ?? 'us-docker.pkg.dev/cloudrun/container/hello',
    etag: newEtag(),
    createTime: now,
    updateTime: now,
  };
}
