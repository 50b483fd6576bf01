import { describe, expect, it } from 'vitest';
import { apiErrorFromResponse, KubeApiError } from '../../../src/kube-api/api-error.js';
import {
  forCache,
  LAST_APPLIED_ANNOTATION,
  listQuery,
  toWatchEvent,
  watchQuery,
} from '../../../src/kube-api/list-watch.js';
import { streamingListQuery } from '../../../src/kube-api/streaming-list.js';
import type { KubeObject } from '../../../src/runtime/kube-object.js';
import { isResourceExpired } from '../../../src/runtime/resource-expired.js';

describe('listQuery', () => {
  it('pages with limit and continue, and passes selectors through', () => {
    expect(listQuery({}).toString()).toBe('limit=500');
    expect(
      Object.fromEntries(listQuery({ pageSize: 50, labelSelector: 'a=b', fieldSelector: 'x=y' }, 'token-2')),
    ).toEqual({ limit: '50', labelSelector: 'a=b', fieldSelector: 'x=y', continue: 'token-2' });
  });
});

describe('watchQuery', () => {
  it('asks for bookmarks and resumes from the given resourceVersion', () => {
    expect(watchQuery({}, '12345', 420)).toEqual({
      resourceVersion: '12345',
      allowWatchBookmarks: true,
      timeoutSeconds: 420,
    });
    expect(watchQuery({ labelSelector: 'app=x' }, 'rv', 300)).toMatchObject({ labelSelector: 'app=x' });
  });
});

describe('toWatchEvent', () => {
  it('types the known events and drops anything else', () => {
    const obj = { metadata: { name: 'a', resourceVersion: '1' } };
    expect(toWatchEvent('ADDED', obj)).toEqual(['ADDED', obj]);
    expect(toWatchEvent('BOOKMARK', obj)).toEqual(['BOOKMARK', obj]);
    expect(toWatchEvent('ERROR', { kind: 'Status', code: 410 })).toEqual([
      'ERROR',
      { kind: 'Status', code: 410 },
    ]);
    expect(toWatchEvent('SOMETHING', obj)).toBeUndefined();
    expect(toWatchEvent('ADDED', null)).toBeUndefined();
  });
});

describe('apiErrorFromResponse', () => {
  it('keeps the status code and the Status message, so a 410 reads as expired', () => {
    const body = JSON.stringify({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'continue token expired',
    });
    const err = apiErrorFromResponse('GET', '/api/v1/pods', 410, body);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.statusCode).toBe(410);
    expect(err.body?.reason).toBe('Expired');
    expect(err.message).toBe('GET /api/v1/pods: HTTP 410: continue token expired');
    expect(isResourceExpired(err)).toBe(true);
  });

  it('copes with a body that is not a Status', () => {
    const err = apiErrorFromResponse('GET', '/x', 503, '');
    expect(err.message).toBe('GET /x: HTTP 503: Service Unavailable');
    expect(apiErrorFromResponse('GET', '/x', 500, 'oops').message).toBe('GET /x: HTTP 500: oops');
    expect(isResourceExpired(err)).toBe(false);
  });
});

describe('forCache', () => {
  it('drops managedFields from watched objects and keeps everything else', () => {
    const event = toWatchEvent('MODIFIED', {
      metadata: {
        name: 'a',
        resourceVersion: '7',
        managedFields: [{ manager: 'keyless' }],
        labels: { x: 'y' },
      },
      spec: { z: 1 },
    });
    expect(event).toEqual([
      'MODIFIED',
      { metadata: { name: 'a', resourceVersion: '7', labels: { x: 'y' } }, spec: { z: 1 } },
    ]);
  });

  it("drops kubectl's last-applied manifest and keeps the other annotations", () => {
    const applied = JSON.stringify({ apiVersion: 'keyless.dev/v1alpha1', kind: 'WorkloadIdentity' });
    const cached = forCache({
      metadata: {
        name: 'a',
        annotations: { [LAST_APPLIED_ANNOTATION]: applied, 'keyless.dev/adopt': 'true' },
        managedFields: [{ manager: 'kubectl-client-side-apply' }],
      },
    } as KubeObject);
    expect(cached.metadata).toEqual({ name: 'a', annotations: { 'keyless.dev/adopt': 'true' } });
  });

  it('leaves no empty annotations behind, and objects without either field as they are', () => {
    const onlyLastApplied = forCache({
      metadata: { name: 'a', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
    } as KubeObject);
    expect(onlyLastApplied.metadata).toEqual({ name: 'a' });
    const plain = { metadata: { name: 'b', annotations: { 'keyless.dev/adopt': 'true' } } } as KubeObject;
    const metadata = plain.metadata;
    expect(forCache(plain).metadata).toBe(metadata);
  });
});

describe('streamingListQuery', () => {
  it('asks for every object now, then the end bookmark, with the selectors', () => {
    expect(streamingListQuery({ timeoutSeconds: 600, labelSelector: 'a=b' })).toEqual({
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
      timeoutSeconds: 600,
      labelSelector: 'a=b',
    });
  });
});
