/**
 * ARM error answers, `{"error":{"code","message"}}`, with the codes and messages Azure sends.
 * Every error the fake can produce is built here, so its wording lives in one place.
 *
 * Where Azure's exact code or status could not be confirmed from public sources, the constructor
 * says so; README.md lists those choices.
 */

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const missingApiVersion = (): ArmError =>
  new ArmError(
    400,
    'MissingApiVersionParameter',
    'The api-version query parameter (?api-version=) is required for all requests.',
  );

/** Microsoft.ManagedIdentity is a registered provider: ARM answers for it. */
export const unsupportedProviderApiVersion = (
  apiVersion: string,
  type: string,
  supported: readonly string[],
): ArmError =>
  new ArmError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location 'global' and API version '${apiVersion}' for type '${type}'. ` +
      `The supported api-versions are '${supported.join(', ')}'.`,
  );

/** Microsoft.Authorization lives in ARM itself. */
export const invalidApiVersion = (apiVersion: string, supported: readonly string[]): ArmError =>
  new ArmError(
    400,
    'InvalidApiVersionParameter',
    `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(',')}'.`,
  );

export const authorizationHeaderMissing = (): ArmError =>
  new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
    'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"',
  });

export const authorizationHeaderInvalid = (): ArmError =>
  new ArmError(
    401,
    'AuthenticationFailedInvalidHeader',
    "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    { 'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"' },
  );

export const invalidAuthenticationToken = (): ArmError =>
  new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
    'www-authenticate':
      'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token is invalid."',
  });

export const authorizationFailed = (
  clientId: string,
  objectId: string,
  action: string,
  scope: string,
): ArmError =>
  new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${clientId}' with object id '${objectId}' does not have authorization to perform action ` +
      `'${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );

/** ARM's subscription-level throttling answer. */
export const throttled = (retryAfterSeconds: number | undefined, subscriptionId: string): ArmError =>
  new ArmError(
    429,
    'SubscriptionRequestsThrottled',
    `Number of requests for subscription '${subscriptionId}' exceeded the limit. Please try again after ` +
      `'${retryAfterSeconds ?? 'some'}' seconds.`,
    retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  );

export const subscriptionNotFound = (subscriptionId: string): ArmError =>
  new ArmError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);

export const resourceGroupNotFound = (resourceGroup: string): ArmError =>
  new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);

/** `type` is e.g. `Microsoft.ManagedIdentity/userAssignedIdentities/NAME`. */
export const resourceNotFound = (typeAndName: string, resourceGroup: string): ArmError =>
  new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${typeAndName}' under resource group '${resourceGroup}' was not found. ` +
      'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
  );

export const noRoute = (method: string, path: string): ArmError =>
  new ArmError(404, 'NotFound', `The Azure fake does not implement ${method} ${path}.`);

export const methodNotAllowed = (method: string, path: string): ArmError =>
  new ArmError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`, {
    allow: path,
  });

export const invalidRequestContent = (detail: string): ArmError =>
  new ArmError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: ${detail}`,
  );

export const locationRequired = (): ArmError =>
  new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');

/** Status unconfirmed (409 chosen); code and message as ARM sends them. */
export const locationChanged = (
  name: string,
  existing: string,
  resourceGroup: string,
  wanted: string,
): ArmError =>
  new ArmError(
    409,
    'InvalidResourceLocation',
    `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. ` +
      `A resource with the same name cannot be created in location '${wanted}'. Please select a new resource name.`,
  );

export const invalidResourceName = (name: string, type: string): ArmError =>
  new ArmError(400, 'InvalidResourceName', `Resource name '${name}' is invalid for type '${type}'.`);

// Federated identity credentials: status codes and messages from Microsoft's "Important
// considerations and restrictions for federated identity credentials" (Errors table).

export const parentIdentityNotFound = (): ArmError =>
  new ArmError(404, 'ParentResourceNotFound', 'The parent user-assigned identity does not exist.');

export const ficNameInvalid = (name: string): ArmError =>
  new ArmError(400, 'BadRequest', `Federated Identity Credential name '${name}' is invalid.`);

export const ficEmptyProperties = (): ArmError =>
  new ArmError(400, 'BadRequest', 'Federated Identity Credential from HTTP body has empty properties');

export const ficOneAudience = (): ArmError =>
  new ArmError(400, 'BadRequest', 'Federated identity credentials must have exactly one audience.');

/** 400 and the message are documented; the code (`BadRequest`) is the fake's choice. */
export const ficIssuerSubjectExists = (): ArmError =>
  new ArmError(400, 'BadRequest', 'Issuer and subject combination already exists for this Managed Identity.');

/** The 20 limit is documented; Azure's code and message for it could not be found (see README). */
export const ficLimitExceeded = (limit: number): ArmError =>
  new ArmError(
    400,
    'BadRequest',
    `The request format was unexpected: a user-assigned identity can have at most ${limit} federated identity credentials.`,
  );

/** `identityId` as Azure writes it here: lower-cased except resource group and identity names. */
export const concurrentFicWrites = (identityId: string): ArmError =>
  new ArmError(
    409,
    'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
    `Too many Federated Identity Credentials are written concurrently for the managed identity '${identityId}'. ` +
      'Concurrent Federated Identity Credentials writes under the same managed identity are not supported.',
  );

// Role assignments and definitions.

export const invalidRoleAssignmentId = (name: string): ArmError =>
  new ArmError(
    400,
    'InvalidRoleAssignmentId',
    `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
  );

export const roleAssignmentNotFound = (name: string): ArmError =>
  new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);

export const roleAssignmentExists = (): ArmError =>
  new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');

export const roleAssignmentUpdateNotPermitted = (): ArmError =>
  new ArmError(
    409,
    'RoleAssignmentUpdateNotPermitted',
    'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
  );

/** Status unconfirmed (400 chosen); code and message as Azure documents them. */
export const roleAssignmentLimitExceeded = (): ArmError =>
  new ArmError(400, 'RoleAssignmentLimitExceeded', 'No more role assignments can be created.');

export const principalNotFound = (principalId: string, tenantId: string): ArmError =>
  new ArmError(
    400,
    'PrincipalNotFound',
    `Principal ${principalId} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. ` +
      'If you are creating this principal and then immediately assigning a role, this error might be related to a ' +
      'replication delay. In this case, set the role assignment principalType property to a value, such as ' +
      'ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype',
  );

export const roleDefinitionDoesNotExist = (id: string): ArmError =>
  new ArmError(
    400,
    'RoleDefinitionDoesNotExist',
    `The specified role definition with ID '${id}' does not exist.`,
  );

export const roleDefinitionNotFound = (id: string): ArmError =>
  new ArmError(
    404,
    'RoleDefinitionDoesNotExist',
    `The specified role definition with ID '${id}' does not exist.`,
  );

export const invalidRoleAssignmentRequest = (detail: string): ArmError =>
  new ArmError(400, 'InvalidCreateRoleAssignmentRequest', detail);

export const unsupportedFilter = (filter: string, supported: string): ArmError =>
  new ArmError(
    400,
    'UnsupportedQuery',
    `The filter '${filter}' is not supported. Supported filters are ${supported}.`,
  );

/** The fake's own limit: Azure also has tenant root and management-group scopes. */
export const unsupportedScope = (scope: string): ArmError =>
  new ArmError(
    400,
    'InvalidScope',
    `The Azure fake supports scopes within a configured subscription only, not '${scope}'.`,
  );

export const operationNotFound = (id: string): ArmError =>
  new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
