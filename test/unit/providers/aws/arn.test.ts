import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arnProblem, parseArn } from '../../../../src/providers/aws/arn.js';

describe('arnProblem', () => {
  it.each<[string, string | undefined]>([
    ['arn:aws:s3:::shop-invoices', undefined],
    ['arn:aws:s3:::shop-invoices/reports/2026 q1.csv', undefined],
    ['arn:aws-cn:sqs:cn-north-1:123456789012:orders', undefined],
    ['arn:aws:iam::aws:policy/ReadOnlyAccess', undefined],
    ['s3:::shop', 'it does not start with "arn:"'],
    [
      'arn:aws:s3::bucket with spaces',
      'it has 5 of the 6 colon-separated parts arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (arn "arn", partition "aws", service "s3", region "", account "bucket with spaces"); an S3 ARN leaves region and account empty: arn:aws:s3:::BUCKET, three colons',
    ],
    ['arn:aws:S3:::b', 'its service (part 3) "S3" is not lowercase letters, digits and hyphens'],
    [
      'arn:aws:sqs:eu west 1:123456789012:q',
      'its region (part 4) "eu west 1" is not a region name such as eu-west-1',
    ],
    ['arn:aws:sqs:eu-west-1:1234:q', 'its account (part 5) "1234" is not 12 digits'],
    ['arn:aws:sqs:eu-west-1:123456789012:', 'its resource (part 6) is empty'],
    ['arn:aws:s3:::a\nb', 'its resource (part 6) holds a line break at character 15'],
  ])('%j: %s', (arn, problem) => {
    expect(arnProblem(arn)).toBe(problem);
  });

  it('finds a problem exactly when parseArn refuses the string', () => {
    const part = fc.string({
      unit: fc.constantFrom('a', 's', '3', '-', ' ', 'A', '\n', '1', 'w'),
      maxLength: 4,
    });
    const candidate = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .tuple(
          fc.constantFrom('arn', 'arm'),
          fc.constantFrom('aws', 'aws-cn', 'azure', ''),
          part,
          part,
          fc.constantFrom('', 'aws', '123456789012', '12'),
          part,
          fc.boolean(),
        )
        .map(([a, p, s, r, acct, res, short]) =>
          (short ? [a, p, s, r, res] : [a, p, s, r, acct, res]).join(':'),
        ),
    );
    fc.assert(
      fc.property(candidate, (text) => {
        expect(arnProblem(text) === undefined).toBe(parseArn(text) !== undefined);
      }),
      { numRuns: 1000 },
    );
  });
});
