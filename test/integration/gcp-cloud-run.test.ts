/**
 * Cloud Run services that run as their identity's Google service account: the operator on a real
 * API server against the Google Cloud wire-level fake through the real `@google-cloud/run` client.
 */
import { expect, it } from 'vitest';
import { accountId } from '../../src/providers/gcp/mapping.js';
import { describeWithCloud } from '../support/cloud-world.js';
import { GCP_ACCOUNT_NAME as ACCOUNT, gcpWorld } from '../support/gcp-world.js';
import {
  conditionOf,
  eventsIn,
  type Observed,
  waitForCondition,
  workloadIdentity,
} from '../support/keyless-objects.js';
import { apply, get, type Manifest, remove, waitFor } from '../support/kube-manifests.js';

const PROJECT = { projectId: 'keyless-run', projectNumber: '723456789012' };
const serviceOf = (name: string) => `projects/${PROJECT.projectId}/locations/europe-west1/services/${name}`;
const emailOf = (name: string) =>
  `${accountId({ cluster: 'it', namespace: 'shop', name, uid: '' })}@${PROJECT.projectId}.iam.gserviceaccount.com`;
const PREVIOUS = `previous@${PROJECT.projectId}.iam.gserviceaccount.com`;

describeWithCloud(
  'Cloud Run services that run as their identity, on the Google Cloud fake',
  gcpWorld(PROJECT),
  (world) => {
    const fake = () => world.backend().fake;
    const state = () => fake().state;
    const accountOf = (name: string) =>
      (state().runService(serviceOf(name))?.template as { serviceAccount?: string } | undefined)
        ?.serviceAccount;
    const runIdentity = (name: string, services: string[], spec: Record<string, unknown> = {}): Manifest =>
      workloadIdentity(name, ACCOUNT, {
        subjects: [{ serverless: { platform: 'GCPCloudRunFunction', services: services.map(serviceOf) } }],
        ...spec,
      });
    const events = (reason: string) => eventsIn(world.admin(), 'shop', reason);

    it('sets each service’s service account; a missing one is named while the other converges, until it exists', async () => {
      state().createRunService(serviceOf('orders'), { serviceAccount: PREVIOUS });
      fake().resetCounts();
      const identity = runIdentity('orders-run', ['orders', 'late']);
      await apply(world.admin(), identity);
      const email = emailOf('orders-run');
      const waiting = (await waitForCondition(world.admin(), identity, 'Ready', {
        status: 'False',
        reason: 'FunctionNotFound',
      })) as Observed;
      expect(conditionOf(waiting, 'Ready')?.message).toContain(
        `Cloud Run service ${serviceOf('late')} does not exist`,
      );
      expect(waiting.status?.functions).toEqual([
        { arn: serviceOf('orders'), role: email, state: 'Attached' },
        {
          arn: serviceOf('late'),
          state: 'Missing',
          message: `Cloud Run service ${serviceOf('late')} does not exist.`,
        },
      ]);
      expect(accountOf('orders')).toBe(email);
      // Only the service account was changed, through the mask, and the operation was polled.
      expect(state().runService(serviceOf('orders'))?.template).toEqual({
        serviceAccount: email,
        containers: [{ image: 'us-docker.pkg.dev/cloudrun/container/hello' }],
      });
      const patches = fake()
        .requests()
        .filter((r) => r.operation === 'services.patch');
      expect(patches.length).toBeGreaterThan(0);
      expect(
        patches.every((r) => /updateMask=template\.service_?[aA]ccount/.test(decodeURIComponent(r.url))),
      ).toBe(true);
      expect(fake().counts()['runOperations.get']).toBeGreaterThan(0);

      state().createRunService(serviceOf('late'));
      const ready = (await waitForCondition(world.admin(), identity, 'Ready', {
        status: 'True',
      })) as Observed;
      expect(ready.status?.functions?.map((f) => f.state)).toEqual(['Attached', 'Attached']);
      expect(accountOf('late')).toBe(email);

      // Steady state: each resync reads each service and writes nothing.
      fake().resetCounts();
      await waitFor('two resyncs', async () => (fake().counts()['services.get'] ?? 0) >= 4 || undefined);
      const counts = fake().counts() as Record<string, number>;
      console.info(`Cloud Run, resyncs of one identity with two services: ${JSON.stringify(counts)}`);
      expect(Object.keys(counts).filter((op) => /patch|create|set|delete|update/.test(op))).toEqual([]);
      expect(fake().internalErrors()).toEqual([]);
    });

    it('puts the service account back when another is set out of band (driftPolicy Correct)', async () => {
      state().setRunServiceAccount(serviceOf('orders'), PREVIOUS);
      const email = emailOf('orders-run');
      await waitFor('the service corrected', async () => accountOf('orders') === email || undefined);
      await waitFor(
        'a DriftCorrected Event',
        async () =>
          (await events('DriftCorrected')).some((e) =>
            e.note.includes(
              `services[${serviceOf('orders')}].serviceAccount (found ${PREVIOUS}, wanted ${email})`,
            ),
          ) || undefined,
      );
    });

    it('reports another service account under driftPolicy Report and leaves the service alone', async () => {
      state().createRunService(serviceOf('report'));
      const identity = runIdentity('report-run', ['report'], { driftPolicy: 'Report' });
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      const email = emailOf('report-run');
      expect(accountOf('report')).toBe(email);

      state().setRunServiceAccount(serviceOf('report'), PREVIOUS);
      const drifted = (await waitForCondition(world.admin(), identity, 'Drifted', {
        status: 'True',
        reason: 'DriftDetected',
      })) as Observed;
      expect(drifted.status?.drift).toEqual([
        { field: `services[${serviceOf('report')}].serviceAccount`, wanted: email, found: PREVIOUS },
      ]);
      expect(drifted.status?.functions).toEqual([
        {
          arn: serviceOf('report'),
          role: PREVIOUS,
          state: 'Drifted',
          message: `Cloud Run service ${serviceOf('report')} runs as ${PREVIOUS}, not ${email}.`,
        },
      ]);
      expect(conditionOf(drifted, 'Ready')?.status).toBe('True');
      expect(accountOf('report')).toBe(PREVIOUS);
    });

    it('names the permission it lacks on one service while the other converges', async () => {
      state().createRunService(serviceOf('locked'), { serviceAccount: PREVIOUS });
      state().createRunService(serviceOf('open'));
      const email = emailOf('locked-run');
      const denied = fake().inject({
        operation: 'services.patch',
        when: (r) => r.url.includes('/services/locked'),
        status: 403,
        message: `Permission 'iam.serviceAccounts.actAs' denied on service account ${email} (or it may not exist).`,
      });
      const identity = runIdentity('locked-run', ['locked', 'open']);
      await apply(world.admin(), identity);
      const forbidden = (await waitForCondition(world.admin(), identity, 'Ready', {
        status: 'False',
        reason: 'FunctionAccessDenied',
      })) as Observed;
      const message = `The operator may not change Cloud Run service ${serviceOf('locked')}: it lacks iam.serviceAccounts.actAs on service account ${email}.`;
      expect(conditionOf(forbidden, 'Ready')?.message).toBe(message);
      expect(forbidden.status?.functions).toEqual([
        { arn: serviceOf('locked'), state: 'Forbidden', message },
        { arn: serviceOf('open'), role: email, state: 'Attached' },
      ]);
      expect(accountOf('locked')).toBe(PREVIOUS);
      expect(accountOf('open')).toBe(email);

      denied.remove();
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      expect(accountOf('locked')).toBe(email);
    });

    it('names run.services.get for a service it can no longer read, and leaves it alone', async () => {
      state().createRunService(serviceOf('hidden'), { serviceAccount: PREVIOUS });
      const identity = runIdentity('hidden-run', ['hidden']);
      await apply(world.admin(), identity);
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      const email = emailOf('hidden-run');
      expect(accountOf('hidden')).toBe(email);

      fake().resetCounts();
      const denied = fake().inject({
        operation: 'services.get',
        when: (r) => r.url.includes('/services/hidden'),
        status: 403,
        message: `Permission 'run.services.get' denied on resource '${serviceOf('hidden')}' (or it may not exist).`,
      });
      const forbidden = (await waitForCondition(world.admin(), identity, 'Ready', {
        status: 'False',
        reason: 'FunctionAccessDenied',
      })) as Observed;
      const message = `The operator may not read Cloud Run service ${serviceOf('hidden')}: it lacks run.services.get on ${serviceOf('hidden')}.`;
      expect(conditionOf(forbidden, 'Ready')?.message).toBe(message);
      expect(forbidden.status?.functions).toEqual([
        { arn: serviceOf('hidden'), state: 'Forbidden', message },
      ]);
      expect(fake().counts()['services.patch'] ?? 0).toBe(0);
      denied.remove();
      await waitForCondition(world.admin(), identity, 'Ready', { status: 'True' });
      expect(accountOf('hidden')).toBe(email);
    });

    it('leaves services alone on delete and warns per service still naming the deleted service account', async () => {
      const identity = runIdentity('orders-run', ['orders', 'late']);
      await remove(world.admin(), identity);
      await waitFor(
        'orders-run gone',
        async () => (await get(world.admin(), identity)) === undefined || undefined,
      );
      const email = emailOf('orders-run');
      expect(state().serviceAccount(email)).toBeUndefined();
      expect(accountOf('orders')).toBe(email);
      expect(accountOf('late')).toBe(email);
      const warnings = await waitFor('a FunctionRoleDeleted Event per service', async () => {
        const found = (await events('FunctionRoleDeleted')).filter((e) => e.note.includes(email));
        return found.length >= 2 ? found : undefined;
      });
      expect(warnings.map((e) => e.type)).toEqual(['Warning', 'Warning']);
      expect(warnings.map((e) => e.note).sort()).toEqual(
        [serviceOf('late'), serviceOf('orders')].map(
          (name) =>
            `Cloud Run service ${name} still runs as ${email}, which was deleted with this identity; Keyless leaves the service unchanged: give it another service account.`,
        ),
      );
    });
  },
);
