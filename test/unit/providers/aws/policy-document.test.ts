import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizePolicy,
  type PolicyDocument,
  parsePolicyDocument,
  policyDrift,
  samePolicy,
} from '../../../../src/providers/aws/policy-document.js';

const doc: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'B', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: 'arn:aws:s3:::b/*' },
    { Sid: 'A', Effect: 'Allow', Action: 's3:ListBucket', Resource: ['arn:aws:s3:::b'] },
  ],
};

describe('policy documents', () => {
  it('read URL-encoded documents as IAM returns them', () => {
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(parsePolicyDocument(JSON.stringify(doc))).toEqual(doc);
  });

  it('treat a single string as a one-element list, lists as sets and statements in any order', () => {
    const same: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'A', Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucket'], Resource: 'arn:aws:s3:::b' },
        {
          Sid: 'B',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: ['arn:aws:s3:::b/*'],
        },
      ],
    };
    expect(samePolicy(doc, same)).toBe(true);
    expect(policyDrift('policy', doc, same)).toEqual([]);
  });

  it('name the statement that differs, with both values', () => {
    const changed = structuredClone(doc);
    (changed.Statement[0] as { Action: string[] }).Action = ['s3:*'];
    expect(policyDrift('policy', doc, changed)).toEqual([
      {
        field: 'policy.Statement[B]',
        wanted:
          '{"Action":["s3:GetObject","s3:PutObject"],"Effect":"Allow","Resource":["arn:aws:s3:::b/*"],"Sid":"B"}',
        found: '{"Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::b/*"],"Sid":"B"}',
      },
    ]);
    expect(policyDrift('policy', doc, undefined)[0]).toMatchObject({ field: 'policy', found: 'absent' });
  });

  it('normalize idempotently and independently of order (property)', () => {
    const action = fc.constantFrom('s3:GetObject', 's3:PutObject', 'sqs:SendMessage', 'kms:Decrypt');
    const statement = fc.record({
      Sid: fc.constantFrom('A', 'B', 'C'),
      Effect: fc.constant('Allow' as const),
      Action: fc.array(action, { minLength: 1, maxLength: 4 }),
      Resource: fc.array(fc.constantFrom('arn:aws:s3:::x', '*'), { minLength: 1, maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(statement, { selector: (s) => s.Sid, maxLength: 3 }), (statements) => {
        const document: PolicyDocument = { Version: '2012-10-17', Statement: statements };
        const shuffled: PolicyDocument = {
          Version: '2012-10-17',
          Statement: [...statements].reverse().map((s) => ({ ...s, Action: [...s.Action].reverse() })),
        };
        expect(normalizePolicy(normalizePolicy(document))).toEqual(normalizePolicy(document));
        expect(samePolicy(document, shuffled)).toBe(true);
      }),
    );
  });
});
