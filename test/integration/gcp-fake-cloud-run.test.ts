/**
 * The Google Cloud fake's Cloud Run Admin API v2, driven by the real `@google-cloud/run` client
 * on its REST transport: what the client sends, and what it makes of the answers.
 */
import { v2 } from '@google-cloud/run';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type GcpFake,
  gcpClientOptions,
  startGcpFake,
  staticTokenClient,
} from '../support/gcp-fake/index.js';

const PROJECT = { projectId: 'keyless-run', projectNumber: '823456789012' };
const NAME = `projects/${PROJECT.projectId}/locations/europe-west1/services/orders`;
const EMAIL = `orders@${PROJECT.projectId}.iam.gserviceaccount.com`;

describe('Cloud Run services on the Google Cloud fake, through the real client', () => {
  let fake: GcpFake;
  let services: InstanceType<typeof v2.ServicesClient>;

  beforeAll(async () => {
    fake = await startGcpFake({ projects: [PROJECT] });
    services = new v2.ServicesClient(gcpClientOptions(fake.endpoint, staticTokenClient()).gax as never);
  });

  afterAll(async () => {
    await services.close();
    await fake.stop();
  });

  beforeEach(() => fake.reset());

  it('reads a service and patches only the masked field, answering an operation that is done on the first poll', async () => {
    fake.state.createRunService(NAME, { image: 'europe-docker.pkg.dev/p/r/orders:1' });
    const [service] = await services.getService({ name: NAME }, { retry: null } as never);
    expect(service.name).toBe(NAME);
    expect(service.template?.serviceAccount ?? '').toBe('');

    const [operation] = await services.updateService(
      {
        // The image in the body is not in the mask, so it is not changed.
        service: { name: NAME, template: { serviceAccount: EMAIL, containers: [{ image: 'other:2' }] } },
        updateMask: { paths: ['template.service_account'] },
      },
      { retry: null } as never,
    );
    expect(operation.done).toBe(false);
    expect(operation.name).toMatch(
      /^projects\/keyless-run\/locations\/europe-west1\/operations\/[0-9a-f]{16}$/,
    );
    const [done] = await operation.promise();
    expect(done.template?.serviceAccount).toBe(EMAIL);
    expect(fake.state.runService(NAME)?.template).toEqual({
      serviceAccount: EMAIL,
      containers: [{ image: 'europe-docker.pkg.dev/p/r/orders:1' }],
    });
    expect(fake.counts()).toEqual({ 'services.get': 1, 'services.patch': 1, 'runOperations.get': 1 });
    const patch = fake.requests().find((r) => r.operation === 'services.patch');
    expect(decodeURIComponent(patch?.url ?? '')).toMatch(/updateMask=template\.service_?[aA]ccount/);
    expect(fake.internalErrors()).toEqual([]);
  });

  it('answers 404 NOT_FOUND for a missing service and 403 PERMISSION_DENIED naming the permission', async () => {
    const missing = await services
      .getService({ name: NAME }, { retry: null } as never)
      .catch((e: unknown) => e);
    // This client's gax decodes the REST error body: the gRPC code (NOT_FOUND = 5), Google's message.
    expect(missing).toMatchObject({
      code: 5,
      message:
        "Resource 'orders' of kind 'SERVICE' in region 'europe-west1' in project 'keyless-run' does not exist.",
    });

    fake.state.createRunService(NAME);
    fake.denyPermission('run.services.get');
    const denied = await services
      .getService({ name: NAME }, { retry: null } as never)
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({
      code: 7,
      message: `Permission 'run.services.get' denied on resource '${NAME}' (or it may not exist).`,
    });

    fake.clearFaults();
    fake.denyPermission('iam.serviceAccounts.actAs');
    const actAs = await services
      .updateService(
        {
          service: { name: NAME, template: { serviceAccount: EMAIL } },
          updateMask: { paths: ['template.service_account'] },
        },
        { retry: null } as never,
      )
      .catch((e: unknown) => e);
    expect(actAs).toMatchObject({ code: 7 });
    expect((actAs as Error).message).toContain("'iam.serviceAccounts.actAs'");
    expect(fake.state.runService(NAME)?.template).not.toHaveProperty('serviceAccount');
  });

  it('refuses a mask path it does not keep', async () => {
    fake.state.createRunService(NAME);
    const refused = await services
      .updateService({ service: { name: NAME, labels: { a: 'b' } }, updateMask: { paths: ['labels'] } }, {
        retry: null,
      } as never)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 3, message: 'Invalid update_mask path: labels.' });
  });
});
