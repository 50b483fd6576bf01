/** Identifiers, etags and timestamps shaped like Google's. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** The etag IAM gives a resource's empty policy (base64 of 00 20 01). */
export const EMPTY_POLICY_ETAG = 'ACAB';

/**
 * A fresh etag: 8 random bytes, base64 (`BwYh0mEh4xE=`). Resource Manager's clients treat policy
 * etags as bytes and send them back base64-encoded, so every etag the fake issues is valid base64.
 */
export function newEtag(): string {
  return randomBytes(8).toString('base64');
}

/** A service account's `uniqueId` (and `oauth2ClientId`): 21 digits, starting with 1. */
export function newUniqueId(taken: (id: string) => boolean): string {
  for (;;) {
    let id = '1';
    while (id.length < 21) id += String(randomInt(0, 10));
    if (!taken(id)) return id;
  }
}

/** An IAM v2 policy `uid`. */
export const newUid = (): string => randomUUID();

/** The last component of a long-running operation's name: 16 hex digits. */
export const newOperationId = (): string => randomBytes(8).toString('hex');

/** RFC 3339 with milliseconds, as Google's JSON mapping writes a Timestamp. */
export const timestamp = (millis: number): string => new Date(millis).toISOString();
