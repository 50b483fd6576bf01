import { describe, expect, it } from 'vitest';
import { MAX_USAGE_SERVICES } from '../../../../src/api/usage.js';
import { usageReport } from '../../../../src/providers/aws/usage.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const at = (iso: string) => new Date(iso);

describe("AWS's usage report", () => {
  it('takes RoleLastUsed, the services IAM saw used and their tracked actions (used or not), most recent first', () => {
    const report = usageReport(
      { RoleLastUsed: { LastUsedDate: at('2026-05-30T10:00:00Z'), Region: 'eu-west-1' } } as never,
      [
        { ServiceName: 'Amazon SQS', ServiceNamespace: 'sqs', LastAuthenticated: at('2026-05-01T00:00:00Z') },
        { ServiceName: 'Amazon DynamoDB', ServiceNamespace: 'dynamodb' },
        {
          ServiceName: 'Amazon S3',
          ServiceNamespace: 's3',
          LastAuthenticated: at('2026-05-30T10:00:00Z'),
          TrackedActionsLastAccessed: [
            { ActionName: 'PutObject' },
            { ActionName: 'GetObject', LastAccessedTime: at('2026-05-30T10:00:00Z') },
          ],
        },
      ],
      NOW,
    );
    expect(report).toEqual({
      source: 'RoleLastUsed',
      lastUsed: at('2026-05-30T10:00:00Z'),
      lastUsedWhere: 'eu-west-1',
      trackedSince: at('2025-04-27T00:00:00Z'),
      services: [
        {
          service: 's3',
          lastUsed: at('2026-05-30T10:00:00Z'),
          actions: [
            { action: 's3:GetObject', lastUsed: at('2026-05-30T10:00:00Z') },
            { action: 's3:PutObject' },
          ],
        },
        { service: 'sqs', lastUsed: at('2026-05-01T00:00:00Z') },
      ],
    });
  });

  it('says never used when the role has no RoleLastUsed date, and bounds the services', () => {
    const many = Array.from({ length: MAX_USAGE_SERVICES + 10 }, (_, i) => ({
      ServiceName: `s${i}`,
      ServiceNamespace: `s${i}`,
      LastAuthenticated: at('2026-05-01T00:00:00Z'),
    }));
    const report = usageReport({ RoleLastUsed: {} } as never, many, NOW);
    expect(report.lastUsed).toBeUndefined();
    expect(report.services).toHaveLength(MAX_USAGE_SERVICES);
  });
});
