import { pino } from 'pino';
import { beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/api/index.js';
import { KubeEventRecorder } from '../../../src/cluster/event-recorder.js';
import { KubeClient } from '../../../src/kube-api/client.js';
import { describeWithControlPlane } from '../../support/control-plane/index.js';
import { FakeClock } from '../../support/fake-clock.js';

describeWithControlPlane('KubeEventRecorder on a real API server', (controlPlane) => {
  let client: KubeClient;
  const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));

  beforeAll(() => {
    client = new KubeClient(controlPlane().kubeConfig());
  });

  const objectNamed = (name: string): KubeObject => ({
    apiVersion: 'keyless.dev/v1alpha1',
    kind: 'WorkloadIdentity',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
  });

  async function eventsAbout(name: string): Promise<{ reason: string; note: string }[]> {
    const list = await client.request<{
      items: { reason: string; note: string; regarding: { name: string } }[];
    }>('GET', '/apis/events.k8s.io/v1/namespaces/default/events');
    return list.items.filter((e) => e.regarding.name === name);
  }

  const reasonsFor = async (name: string) => (await eventsAbout(name)).map((e) => e.reason);

  const newRecorder = (dedupeWindowMs?: number, maxRemembered?: number) =>
    new KubeEventRecorder({
      client,
      clock,
      logger: pino({ level: 'silent' }),
      instance: 'test',
      dedupeWindowMs,
      maxRemembered,
    });

  it('sends a repeated Warning once per window, and every Normal Event', async () => {
    const recorder = newRecorder(60_000);
    const object = objectNamed('repeats');

    for (let i = 0; i < 3; i++) {
      await recorder.record('WorkloadIdentity', object, 'Warning', 'CloudError', 'the cloud said no');
      await recorder.record('WorkloadIdentity', object, 'Normal', 'DriftCorrected', 'corrected tags');
      clock.advance(1000);
    }
    await recorder.record('WorkloadIdentity', object, 'Warning', 'CloudError', 'another message');
    expect((await reasonsFor('repeats')).sort()).toEqual([
      'CloudError',
      'CloudError',
      'DriftCorrected',
      'DriftCorrected',
      'DriftCorrected',
    ]);

    clock.advance(60_000);
    await recorder.record('WorkloadIdentity', object, 'Warning', 'CloudError', 'the cloud said no');
    expect((await reasonsFor('repeats')).filter((r) => r === 'CloudError')).toHaveLength(3);
  });

  it('forgets the oldest Warnings first when it remembers as many as it may', async () => {
    const recorder = newRecorder(60_000, 2);
    const send = (name: string) =>
      recorder.record('WorkloadIdentity', objectNamed(name), 'Warning', 'CloudError', 'the cloud said no');
    for (const name of ['first', 'second', 'third']) {
      await send(name);
      clock.advance(1);
    }
    for (const name of ['third', 'second', 'first']) await send(name);

    expect(await reasonsFor('first')).toHaveLength(2);
    expect(await reasonsFor('second')).toHaveLength(1);
    expect(await reasonsFor('third')).toHaveLength(1);
  });

  it("cuts a long note to the API server's limit (bytes, not characters) instead of losing the Event", async () => {
    const recorder = newRecorder();
    await recorder.record('WorkloadIdentity', objectNamed('long'), 'Warning', 'CloudError', 'x'.repeat(5000));
    await recorder.record(
      'WorkloadIdentity',
      objectNamed('accents'),
      'Warning',
      'CloudError',
      'é'.repeat(3000),
    );
    for (const name of ['long', 'accents']) {
      const note = (await eventsAbout(name))[0]?.note ?? '';
      expect(Buffer.byteLength(note), name).toBeGreaterThan(1000);
      expect(Buffer.byteLength(note), name).toBeLessThanOrEqual(1024);
      expect(note.endsWith('…'), name).toBe(true);
      expect(note.includes('\ufffd'), name).toBe(false);
    }
  });
});
