/** The AWS Query protocol (IAM, STS): which operation a request is, and errors as AWS sends them. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FaultResponse } from './rules.js';

/**
 * The `Action` parameter of a form-encoded body, else of the query string; otherwise (S3 and other
 * REST APIs) `METHOD /path`.
 */
export function awsQueryOperation(request: IncomingMessage, body: Buffer): string {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    if (action) return action;
  }
  const url = new URL(request.url ?? '/', 'http://fault-proxy');
  return url.searchParams.get('Action') ?? `${request.method ?? 'GET'} ${url.pathname}`;
}

export const AWS_QUERY_NAMESPACES = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
} as const;

export interface AwsQueryErrorOptions {
  /** The XML namespace of the answer; the SDK does not look at it. Default `iam`. */
  readonly service?: keyof typeof AWS_QUERY_NAMESPACES;
  /** Default `Sender` for 4xx, `Receiver` for 5xx, as AWS does. */
  readonly type?: 'Sender' | 'Receiver';
  /** Default: a random UUID. Sent in the body and as `x-amzn-RequestId` (the SDK's `$metadata.requestId`). */
  readonly requestId?: string;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);

/**
 * An error answer as IAM and STS send it, e.g. throttling: `awsQueryError('Throttling', 'Rate exceeded')`.
 * The SDK's awsQuery deserializer takes the error name from `ErrorResponse/Error/Code` and the message
 * from `Error/Message`; `$metadata.httpStatusCode` is `status`.
 */
export function awsQueryError(
  code: string,
  message: string,
  status = 400,
  options: AwsQueryErrorOptions = {},
): FaultResponse {
  const requestId = options.requestId ?? randomUUID();
  const type = options.type ?? (status >= 500 ? 'Receiver' : 'Sender');
  const namespace = AWS_QUERY_NAMESPACES[options.service ?? 'iam'];
  const body =
    `<ErrorResponse xmlns="${namespace}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId>` +
    '</ErrorResponse>';
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}
