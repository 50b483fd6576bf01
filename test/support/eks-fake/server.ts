/**
 * `startEksFake()`: an HTTP server on 127.0.0.1 that answers the EKS Pod Identity association
 * calls (REST-JSON, as `@aws-sdk/client-eks` sends them) the way EKS does. moto has no Pod
 * Identity API, so this is what the real SDK client is tested against. Every request is counted by
 * operation; then, in order: an unsigned request is 403, an injected fault answers, a denied
 * action is 403 AccessDeniedException naming it, and the operation answers from `EksState`.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EksCluster, EksState, newAssociationId, type PodIdentityAssociation } from './state.js';

export type EksOperation =
  | 'CreatePodIdentityAssociation'
  | 'DescribePodIdentityAssociation'
  | 'ListPodIdentityAssociations'
  | 'UpdatePodIdentityAssociation'
  | 'DeletePodIdentityAssociation';

export interface EksFakeOptions {
  readonly clusters?: readonly EksCluster[];
  /** The caller named in AccessDeniedException messages. */
  readonly callerArn?: string;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

export interface EksFault {
  readonly status: number;
  /** The error code, sent as `x-amzn-ErrorType` (e.g. ThrottlingException, ServerException). */
  readonly code: string;
  readonly message?: string;
}

export interface EksFake {
  /** `http://127.0.0.1:PORT`, the client's `endpoint`. */
  readonly endpoint: string;
  /** Read and change the fake's contents directly (not counted, never faulted). */
  readonly state: EksState;
  counts(): Partial<Record<EksOperation | 'unknown', number>>;
  resetCounts(): void;
  /** The next `times` requests (of `operation`, or any) are answered with `fault`. */
  failNext(times: number, fault: EksFault, operation?: EksOperation): void;
  /** From now on the caller may not perform `action` (`eks:…` or `iam:PassRole`). */
  denyAction(action: string): void;
  allowAction(action: string): void;
  /** Failures of the fake itself (answered 500); a test should expect none. */
  internalErrors(): readonly Error[];
  stop(): Promise<void>;
}

class EksError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

const invalidParameter = (message: string, fields: Record<string, string> = {}) =>
  new EksError(400, 'InvalidParameterException', message, fields);

const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const MAX_TAGS = 50;
const MAX_POLICY_LENGTH = 2048;
const MAX_LIST_RESULTS = 100;

interface Route {
  readonly operation: EksOperation;
  readonly cluster: string;
  readonly associationId?: string;
}

function route(method: string, path: string): Route | undefined {
  const m = /^\/clusters\/([^/]+)\/pod-identity-associations(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const cluster = decodeURIComponent(m[1] ?? '');
  const id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  if (id === undefined) {
    if (method === 'POST') return { operation: 'CreatePodIdentityAssociation', cluster };
    if (method === 'GET') return { operation: 'ListPodIdentityAssociations', cluster };
    return undefined;
  }
  const byMethod: Record<string, EksOperation> = {
    GET: 'DescribePodIdentityAssociation',
    POST: 'UpdatePodIdentityAssociation',
    DELETE: 'DeletePodIdentityAssociation',
  };
  const operation = byMethod[method];
  return operation ? { operation, cluster, associationId: id } : undefined;
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${name} must be a string`);
  return v;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const v = stringField(body, name);
  if (v === undefined || v === '') throw invalidParameter(`${name} is required`);
  return v;
}

function checkRoleArn(name: string, arn: string): void {
  if (!ROLE_ARN.test(arn)) throw invalidParameter(`${name} ${arn} is not a valid IAM role ARN`);
}

function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== 'object' || Array.isArray(tags)) throw invalidParameter('tags must be a map');
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw invalidParameter(`at most ${MAX_TAGS} tags are allowed`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length === 0 || k.length > 128 || v.length > 256) {
      throw invalidParameter(`tag ${k} is not valid`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkPolicy(policy: string | undefined): void {
  if (policy === undefined) return;
  if (policy.length > MAX_POLICY_LENGTH) throw invalidParameter(`policy is longer than ${MAX_POLICY_LENGTH}`);
  try {
    JSON.parse(policy);
  } catch (cause) {
    throw invalidParameter(`policy is not valid JSON: ${(cause as Error).message}`);
  }
}

function summary(a: PodIdentityAssociation) {
  return {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    associationArn: a.associationArn,
    associationId: a.associationId,
    ...(a.ownerArn ? { ownerArn: a.ownerArn } : {}),
  };
}

function describe(a: PodIdentityAssociation) {
  const { policy, targetRoleArn, externalId, ownerArn, ...rest } = a;
  return {
    ...rest,
    ...(policy !== undefined ? { policy } : {}),
    ...(targetRoleArn !== undefined ? { targetRoleArn } : {}),
    ...(externalId !== undefined ? { externalId } : {}),
    ...(ownerArn !== undefined ? { ownerArn } : {}),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EksError(400, 'SerializationException', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EksError(400, 'SerializationException', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export async function startEksFake(options: EksFakeOptions = {}): Promise<EksFake> {
  const state = new EksState(options.clusters ?? []);
  const now = options.now ?? Date.now;
  const seconds = () => Math.floor(now() / 1000);
  const counts: Partial<Record<EksOperation | 'unknown', number>> = {};
  const faults: { times: number; fault: EksFault; operation?: EksOperation }[] = [];
  const denied = new Set<string>();
  const internal: Error[] = [];

  const clusterArn = (c: EksCluster) => `arn:aws:eks:${c.region}:${c.accountId}:cluster/${c.name}`;
  const callerArn = (c: EksCluster) => options.callerArn ?? `arn:aws:iam::${c.accountId}:user/keyless`;
  const authorize = (c: EksCluster, action: string, resource: string) => {
    if (denied.has(action)) {
      throw new EksError(
        403,
        'AccessDeniedException',
        `User: ${callerArn(c)} is not authorized to perform: ${action} on resource: ${resource}`,
      );
    }
  };
  const clusterOf = (name: string): EksCluster => {
    const c = state.cluster(name);
    if (!c)
      throw new EksError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`, {
        clusterName: name,
      });
    return c;
  };
  const associationOf = (c: EksCluster, id: string): PodIdentityAssociation => {
    const a = state.association(c.name, id);
    if (!a) {
      throw new EksError(
        404,
        'ResourceNotFoundException',
        `No Pod Identity Association found with id ${id}`,
        {
          clusterName: c.name,
        },
      );
    }
    return a;
  };

  const handlers: Record<EksOperation, (r: Route, url: URL, body: Record<string, unknown>) => unknown> = {
    CreatePodIdentityAssociation: (r, _url, body) => {
      const c = clusterOf(r.cluster);
      authorize(c, 'eks:CreatePodIdentityAssociation', clusterArn(c));
      const namespace = requiredString(body, 'namespace');
      const serviceAccount = requiredString(body, 'serviceAccount');
      const roleArn = requiredString(body, 'roleArn');
      if (!KUBE_NAME.test(namespace)) throw invalidParameter(`namespace ${namespace} is not valid`);
      if (!KUBE_NAME.test(serviceAccount))
        throw invalidParameter(`serviceAccount ${serviceAccount} is not valid`);
      checkRoleArn('roleArn', roleArn);
      const targetRoleArn = stringField(body, 'targetRoleArn');
      if (targetRoleArn !== undefined) checkRoleArn('targetRoleArn', targetRoleArn);
      const policy = stringField(body, 'policy');
      checkPolicy(policy);
      const tags = checkTags(body.tags);
      const disableSessionTags = body.disableSessionTags === true;
      const token = stringField(body, 'clientRequestToken');
      const fingerprint = JSON.stringify([
        namespace,
        serviceAccount,
        roleArn,
        targetRoleArn,
        policy,
        tags,
        disableSessionTags,
      ]);
      if (token !== undefined) {
        const seen = state.token(c.name, token);
        if (seen) {
          const earlier = state.association(c.name, seen.id);
          if (seen.fingerprint !== fingerprint) {
            throw new EksError(
              400,
              'InvalidRequestException',
              'clientRequestToken was used with other parameters',
            );
          }
          if (earlier) return { association: describe(earlier) };
        }
      }
      const existing = state.findBySubject(c.name, namespace, serviceAccount);
      if (existing) {
        throw new EksError(
          409,
          'ResourceInUseException',
          `Association already exists: ${existing.associationId}`,
          {
            clusterName: c.name,
          },
        );
      }
      authorize(c, 'iam:PassRole', roleArn);
      const associationId = newAssociationId();
      const at = seconds();
      const association: PodIdentityAssociation = {
        clusterName: c.name,
        namespace,
        serviceAccount,
        roleArn,
        associationArn: `arn:aws:eks:${c.region}:${c.accountId}:podidentityassociation/${c.name}/${associationId}`,
        associationId,
        tags,
        createdAt: at,
        modifiedAt: at,
        disableSessionTags,
        ...(policy !== undefined ? { policy } : {}),
        ...(targetRoleArn !== undefined ? { targetRoleArn, externalId: randomUUID() } : {}),
      };
      state.put(association);
      if (token !== undefined) state.rememberToken(c.name, token, associationId, fingerprint);
      return { association: describe(association) };
    },
    DescribePodIdentityAssociation: (r) => {
      const c = clusterOf(r.cluster);
      const a = associationOf(c, r.associationId ?? '');
      authorize(c, 'eks:DescribePodIdentityAssociation', a.associationArn);
      return { association: describe(a) };
    },
    ListPodIdentityAssociations: (r, url) => {
      const c = clusterOf(r.cluster);
      authorize(c, 'eks:ListPodIdentityAssociations', clusterArn(c));
      const namespace = url.searchParams.get('namespace');
      const serviceAccount = url.searchParams.get('serviceAccount');
      const maxText = url.searchParams.get('maxResults');
      const max = maxText === null ? MAX_LIST_RESULTS : Number(maxText);
      if (!Number.isInteger(max) || max < 1 || max > MAX_LIST_RESULTS) {
        throw invalidParameter(`maxResults must be between 1 and ${MAX_LIST_RESULTS}`);
      }
      const matching = state
        .associations(c.name)
        .filter(
          (a) =>
            (namespace === null || a.namespace === namespace) &&
            (serviceAccount === null || a.serviceAccount === serviceAccount),
        );
      const tokenText = url.searchParams.get('nextToken');
      const start = tokenText === null ? 0 : Number(Buffer.from(tokenText, 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0 || start > matching.length)
        throw invalidParameter('nextToken is not valid');
      const page = matching.slice(start, start + max);
      const next =
        start + max < matching.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
      return { associations: page.map(summary), ...(next ? { nextToken: next } : {}) };
    },
    UpdatePodIdentityAssociation: (r, _url, body) => {
      const c = clusterOf(r.cluster);
      const a = associationOf(c, r.associationId ?? '');
      authorize(c, 'eks:UpdatePodIdentityAssociation', a.associationArn);
      const roleArn = stringField(body, 'roleArn');
      if (roleArn !== undefined) {
        checkRoleArn('roleArn', roleArn);
        authorize(c, 'iam:PassRole', roleArn);
      }
      const targetRoleArn = stringField(body, 'targetRoleArn');
      if (targetRoleArn !== undefined && targetRoleArn !== '') checkRoleArn('targetRoleArn', targetRoleArn);
      const policy = stringField(body, 'policy');
      if (policy !== '') checkPolicy(policy);
      const next: PodIdentityAssociation = { ...a, modifiedAt: seconds() };
      if (roleArn !== undefined) next.roleArn = roleArn;
      if (typeof body.disableSessionTags === 'boolean') next.disableSessionTags = body.disableSessionTags;
      if (policy === '') delete next.policy;
      else if (policy !== undefined) next.policy = policy;
      if (targetRoleArn === '') {
        delete next.targetRoleArn;
        delete next.externalId;
      } else if (targetRoleArn !== undefined) {
        next.targetRoleArn = targetRoleArn;
        next.externalId = a.externalId ?? randomUUID();
      }
      state.put(next);
      return { association: describe(next) };
    },
    DeletePodIdentityAssociation: (r) => {
      const c = clusterOf(r.cluster);
      const a = associationOf(c, r.associationId ?? '');
      authorize(c, 'eks:DeletePodIdentityAssociation', a.associationArn);
      state.remove(c.name, a.associationId);
      return { association: describe(a) };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown, code?: string) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(code ? { 'x-amzn-errortype': code } : {}),
    });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const matched = route(req.method ?? 'GET', url.pathname);
    const operation = matched?.operation ?? 'unknown';
    counts[operation] = (counts[operation] ?? 0) + 1;
    try {
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=')) {
        throw new EksError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      const fault = faults.find(
        (f) => f.times > 0 && (f.operation === undefined || f.operation === operation),
      );
      if (fault) {
        fault.times -= 1;
        throw new EksError(fault.fault.status, fault.fault.code, fault.fault.message ?? fault.fault.code);
      }
      if (!matched)
        throw new EksError(404, 'UnknownOperationException', `no operation ${req.method} ${url.pathname}`);
      const body = await readJson(req);
      send(res, 200, handlers[matched.operation](matched, url, body));
    } catch (error) {
      if (error instanceof EksError) {
        send(res, error.status, { message: error.message, ...error.fields }, error.code);
        return;
      }
      internal.push(error as Error);
      send(res, 500, { message: String(error) }, 'ServerException');
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      internal.push(error as Error);
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    state,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      for (const k of Object.keys(counts)) delete counts[k as EksOperation];
    },
    failNext: (times, fault, operation) => {
      faults.push({ times, fault, ...(operation ? { operation } : {}) });
    },
    denyAction: (action) => {
      denied.add(action);
    },
    allowAction: (action) => {
      denied.delete(action);
    },
    internalErrors: () => [...internal],
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
