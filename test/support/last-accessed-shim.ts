/**
 * IAM's service-last-accessed API, which moto lacks: GenerateServiceLastAccessedDetails and
 * GetServiceLastAccessedDetails answered in front of moto by the fault proxy, in the IAM Query
 * API's XML (the shape the real @aws-sdk/client-iam decodes). Every other IAM call still reaches
 * moto. The report is what the test says AWS recorded: moto records no per-service access.
 */
import type { FaultProxy, InjectedFault } from './fault-proxy/index.js';

export interface ServiceAccess {
  namespace: string;
  name: string;
  lastAuthenticated?: Date;
  region?: string;
  actions?: { name: string; lastAccessed?: Date }[];
}

export interface LastAccessedShim {
  /** From now on the job completes at once (or stays IN_PROGRESS) and lists `services`, `pageSize` a page. */
  answer(
    services: ServiceAccess[],
    options?: { status?: 'COMPLETED' | 'IN_PROGRESS'; pageSize?: number },
  ): void;
  /** From now on both calls are refused with AccessDenied (HTTP 403), as IAM refuses them. */
  forbid(): void;
}

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const JOB_ID = 'examplef-1305-c245-eba4-71fe298bcda7';
const XML = { 'content-type': 'text/xml' };

const envelope = (action: string, result: string) =>
  `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
  `<ResponseMetadata><RequestId>shim-${action}</RequestId></ResponseMetadata></${action}Response>`;

const member = (s: ServiceAccess) =>
  '<member>' +
  (s.lastAuthenticated ? `<LastAuthenticated>${s.lastAuthenticated.toISOString()}</LastAuthenticated>` : '') +
  (s.region ? `<LastAuthenticatedRegion>${s.region}</LastAuthenticatedRegion>` : '') +
  `<ServiceName>${s.name}</ServiceName><ServiceNamespace>${s.namespace}</ServiceNamespace>` +
  `<TotalAuthenticatedEntities>${s.lastAuthenticated ? 1 : 0}</TotalAuthenticatedEntities>` +
  (s.actions
    ? `<TrackedActionsLastAccessed>${s.actions
        .map(
          (a) =>
            `<member><ActionName>${a.name}</ActionName>${a.lastAccessed ? `<LastAccessedTime>${a.lastAccessed.toISOString()}</LastAccessedTime>` : ''}</member>`,
        )
        .join('')}</TrackedActionsLastAccessed>`
    : '') +
  '</member>';

function page(services: ServiceAccess[], status: string, marker: string | undefined): string {
  const now = new Date().toISOString();
  return envelope(
    'GetServiceLastAccessedDetails',
    `<JobStatus>${status}</JobStatus><JobType>ACTION_LEVEL</JobType><JobCreationDate>${now}</JobCreationDate>` +
      (status === 'COMPLETED' ? `<JobCompletionDate>${now}</JobCompletionDate>` : '') +
      `<ServicesLastAccessed>${status === 'COMPLETED' ? services.map(member).join('') : ''}</ServicesLastAccessed>` +
      `<IsTruncated>${marker !== undefined}</IsTruncated>${marker ? `<Marker>${marker}</Marker>` : ''}`,
  );
}

export function lastAccessedShim(proxy: FaultProxy): LastAccessedShim {
  let rules: InjectedFault[] = [];
  const replace = (next: InjectedFault[]) => {
    for (const rule of rules) rule.remove();
    rules = next;
  };
  const markerOf = (body: Buffer) => new URLSearchParams(body.toString()).get('Marker') ?? undefined;
  return {
    answer(services, options = {}) {
      const size = options.pageSize ?? 100;
      const pages = Array.from({ length: Math.max(1, Math.ceil(services.length / size)) }, (_, i) =>
        services.slice(i * size, (i + 1) * size),
      );
      replace([
        proxy.inject({
          operation: 'GenerateServiceLastAccessedDetails',
          respond: {
            status: 200,
            headers: XML,
            body: envelope('GenerateServiceLastAccessedDetails', `<JobId>${JOB_ID}</JobId>`),
          },
        }),
        ...pages.map((items, i) =>
          proxy.inject({
            operation: 'GetServiceLastAccessedDetails',
            when: (request) => markerOf(request.body) === (i === 0 ? undefined : `page-${i}`),
            respond: {
              status: 200,
              headers: XML,
              body: page(
                items,
                options.status ?? 'COMPLETED',
                i + 1 < pages.length ? `page-${i + 1}` : undefined,
              ),
            },
          }),
        ),
      ]);
    },
    forbid() {
      const denied = (action: string) => ({
        operation: action,
        respond: {
          status: 403,
          headers: XML,
          body:
            `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
            `<Message>User is not authorized to perform: iam:${action}</Message></Error><RequestId>shim</RequestId></ErrorResponse>`,
        },
      });
      replace([
        proxy.inject(denied('GenerateServiceLastAccessedDetails')),
        proxy.inject(denied('GetServiceLastAccessedDetails')),
      ]);
    },
  };
}
