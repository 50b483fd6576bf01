/**
 * Errors as Google's REST APIs send them: `{"error": {"code": 409, "message": "...", "status":
 * "ABORTED", "details": [...]}}` with the HTTP status in `code` and the canonical gRPC status name
 * in `status`. Handlers throw `GcpError`; the server turns it into that answer.
 */

/** The canonical status name Google pairs with each HTTP status it uses. */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** One entry of `error.details`, e.g. a `google.rpc.ErrorInfo`. */
export type ErrorDetail = Readonly<Record<string, unknown>> & { readonly '@type': string };

export interface GcpErrorOptions {
  /** Default: `STATUS_NAMES[httpStatus]`. */
  readonly status?: string;
  readonly details?: readonly ErrorDetail[];
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export class GcpError extends Error {
  readonly httpStatus: number;
  readonly status: string;
  readonly details: readonly ErrorDetail[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(httpStatus: number, message: string, options: GcpErrorOptions = {}) {
    super(message);
    this.name = 'GcpError';
    this.httpStatus = httpStatus;
    const status = options.status ?? STATUS_NAMES[httpStatus];
    if (!status) throw new Error(`no canonical status for HTTP ${httpStatus}: pass options.status`);
    this.status = status;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  /** The JSON body Google sends. */
  body(): { error: { code: number; message: string; status: string; details?: readonly ErrorDetail[] } } {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        status: this.status,
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

export function errorInfo(
  reason: string,
  domain: string,
  metadata: Record<string, string> = {},
): ErrorDetail {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

export const invalidArgument = (message: string): GcpError => new GcpError(400, message);

export const notFound = (message: string): GcpError => new GcpError(404, message);

export const alreadyExists = (message: string, resourceName: string): GcpError =>
  new GcpError(409, message, {
    status: 'ALREADY_EXISTS',
    details: [{ '@type': 'type.googleapis.com/google.rpc.ResourceInfo', resourceName }],
  });

/** An etag that does not match: HTTP 409, status ABORTED. */
export const aborted = (message: string): GcpError => new GcpError(409, message);

/**
 * A missing permission, worded as the API in question words it. IAM (v1 and v2):
 * `Permission 'iam.serviceAccounts.create' denied on resource (or it may not exist).`; Resource
 * Manager names the resource: `Permission 'resourcemanager.projects.getIamPolicy' denied on resource
 * '//cloudresourcemanager.googleapis.com/projects/p' (or it may not exist).`
 */
export function permissionDenied(permission: string, domain: string, resource?: string): GcpError {
  const on = resource ? `resource '${resource}'` : 'resource';
  return new GcpError(403, `Permission '${permission}' denied on ${on} (or it may not exist).`, {
    details: [errorInfo('IAM_PERMISSION_DENIED', domain, { permission, ...(resource ? { resource } : {}) })],
  });
}

const SIGN_IN_HELP = 'See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** No `Authorization: Bearer ...` header, or a token the fake was told not to accept. */
export function unauthenticated(missing: boolean, domain: string): GcpError {
  const message = missing
    ? `Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. ${SIGN_IN_HELP}`
    : `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. ${SIGN_IN_HELP}`;
  return new GcpError(401, message, {
    details: [errorInfo(missing ? 'CREDENTIALS_MISSING' : 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain)],
    headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
  });
}

/** What Google says for a quota that ran out; `retryAfterSeconds` adds a `Retry-After` header. */
export function resourceExhausted(service: string, retryAfterSeconds?: number, message?: string): GcpError {
  return new GcpError(
    429,
    message ??
      `Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service '${service}'.`,
    {
      details: [errorInfo('RATE_LIMIT_EXCEEDED', service, { service })],
      headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
    },
  );
}

const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  500: 'Internal error encountered.',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable.',
  504: 'The request timed out. Please try again.',
};

/** A canned server-side failure (5xx); 502 is answered as UNAVAILABLE, as Google's front ends do. */
export function serverError(httpStatus: number, message?: string): GcpError {
  return new GcpError(httpStatus, message ?? DEFAULT_MESSAGES[httpStatus] ?? 'Internal error encountered.', {
    status: STATUS_NAMES[httpStatus] ?? 'UNAVAILABLE',
  });
}

/** The titles Google gives its APIs in SERVICE_DISABLED messages. */
const API_TITLES: Readonly<Record<string, string>> = {
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'run.googleapis.com': 'Cloud Run Admin API',
  'policyanalyzer.googleapis.com': 'Policy Analyzer API',
};

/**
 * An API not enabled in the consumer project: HTTP 403 PERMISSION_DENIED whose ErrorInfo reason is
 * SERVICE_DISABLED (domain googleapis.com), with the activation link Google sends.
 */
export function serviceDisabled(service: string, projectNumber: string): GcpError {
  const title = API_TITLES[service] ?? service;
  const activationUrl = `https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber}`;
  const message =
    `${title} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ` +
    `${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to ` +
    'propagate to our systems and retry.';
  return new GcpError(403, message, {
    details: [
      errorInfo('SERVICE_DISABLED', 'googleapis.com', {
        service,
        consumer: `projects/${projectNumber}`,
        serviceTitle: title,
        containerInfo: projectNumber,
        activationUrl,
      }),
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Google developers console API activation', url: activationUrl }],
      },
    ],
  });
}
