/**
 * The Argo CD customizations' testdata are objects captured from a real API server. These helpers
 * write a capture (KEYLESS_CAPTURE_TESTDATA=1) and compare a live object with its testdata in the
 * fields the health scripts read, and patch an object as Argo CD applies an action's output.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse, stringify } from 'yaml';
import { ARGO_CUSTOMIZATIONS } from './gitops-tools.js';

export const CAPTURING = process.env.KEYLESS_CAPTURE_TESTDATA === '1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Readable {
  metadata: {
    generation?: number;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

/** Run-specific tokens in a message (names and ARNs with hashes, times, ports, ids), masked. */
export function maskMessage(message: string): string {
  return message.replace(/\S*\d\S*/g, '<…>').replace(/\b[0-9a-f]{6,}\b/g, '<…>');
}

/**
 * What the health scripts read of an object: the generations, whether it is being deleted,
 * whether a reconcile request is answered, and each condition (messages masked).
 */
export function readFields(object: Readable): JsonObject {
  const requested = object.metadata.annotations?.['keyless.dev/reconcile-requested-at'];
  return {
    generation: object.metadata.generation ?? null,
    observedGeneration: object.status?.observedGeneration ?? null,
    deleting: object.metadata.deletionTimestamp !== undefined,
    reconcileRequested: requested !== undefined,
    reconcileAnswered: requested !== undefined && requested === object.status?.lastHandledReconcileAt,
    conditions: (object.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: maskMessage(c.message),
    })),
  };
}

/** The object as a testdata file holds it: what the API server returned, less bookkeeping. */
export function asTestdata(object: object): JsonObject {
  const copy = structuredClone(object) as JsonObject & { metadata: JsonObject };
  for (const key of ['managedFields', 'resourceVersion', 'uid']) delete copy.metadata[key];
  return copy;
}

export function testdataPath(kind: string, file: string): string {
  return `${ARGO_CUSTOMIZATIONS}${kind}/${file}`;
}

/** Writes the capture when capturing; returns the testdata file's object. */
export function captured(kind: string, file: string, live: object): Readable {
  const path = testdataPath(kind, file);
  if (CAPTURING) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, stringify(asTestdata(live), { lineWidth: 0 }));
  }
  if (!existsSync(path)) throw new Error(`no testdata ${path}: run with KEYLESS_CAPTURE_TESTDATA=1`);
  return parse(readFileSync(path, 'utf8')) as Readable;
}

/** RFC 7386: the merge patch that turns `original` into `modified` (what Argo CD sends for an action). */
export function mergePatch(original: Json, modified: Json): Json {
  if (!isObject(original) || !isObject(modified)) return modified;
  const patch: JsonObject = {};
  for (const key of Object.keys(original)) if (!(key in modified)) patch[key] = null;
  for (const [key, value] of Object.entries(modified)) {
    const before = original[key];
    if (before !== undefined && JSON.stringify(before) === JSON.stringify(value)) continue;
    patch[key] = before === undefined ? value : mergePatch(before, value);
  }
  return patch;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
