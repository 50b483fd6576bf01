import { describe, expect, it } from 'vitest';
import type { AccessLevel, ProviderName } from '../../../src/api/index.js';
import { grantLevel, permissionLevel } from '../../../src/policy/access-levels.js';
import awsCatalogue from '../../../src/policy/catalogue/aws.json' with { type: 'json' };
import azureCatalogue from '../../../src/policy/catalogue/azure.json' with { type: 'json' };
import type { Catalogue } from '../../../src/policy/catalogue/catalogue.js';
import gcpCatalogue from '../../../src/policy/catalogue/gcp.json' with { type: 'json' };

describe('what a raw permission amounts to', () => {
  it.each<[ProviderName, string, AccessLevel]>([
    ['aws', '*', 'admin'],
    ['aws', 's3:*', 'admin'],
    ['aws', 'S3:*', 'admin'],
    ['aws', 's3:GetObject', 'read'],
    ['aws', 's3:get*', 'read'],
    ['aws', 's3:ListBucket', 'read'],
    ['aws', 'dynamodb:Query', 'read'],
    ['aws', 'sqs:ReceiveMessage', 'read'],
    ['aws', 'kms:Decrypt', 'read'],
    ['aws', 'iam:GetRole', 'read'],
    ['aws', 's3:PutObject', 'write'],
    ['aws', 'sqs:SendMessage', 'write'],
    ['aws', 'lambda:InvokeFunction', 'write'],
    ['aws', 's3:G*', 'write'],
    ['aws', 's3:PutBucketPolicy', 'admin'],
    ['aws', 's3:Put*', 'admin'],
    ['aws', 's3:PutObjectAcl', 'admin'],
    ['aws', 'lambda:AddPermission', 'admin'],
    ['aws', 'kms:CreateGrant', 'admin'],
    ['aws', 'iam:PassRole', 'admin'],
    ['aws', 'iam:CreateRole', 'admin'],
    ['aws', 'sts:AssumeRole', 'admin'],
    ['gcp', 'roles/viewer', 'read'],
    ['gcp', 'roles/storage.objectViewer', 'read'],
    ['gcp', 'roles/bigquery.dataViewer', 'read'],
    ['gcp', 'roles/secretmanager.secretAccessor', 'read'],
    ['gcp', 'roles/storage.objectUser', 'write'],
    ['gcp', 'roles/editor', 'write'],
    ['gcp', 'roles/iam.serviceAccountTokenCreator', 'write'],
    ['gcp', 'roles/owner', 'admin'],
    ['gcp', 'roles/storage.admin', 'admin'],
    ['gcp', 'roles/bigquery.dataOwner', 'admin'],
    ['gcp', 'roles/iam.securityAdmin', 'admin'],
    ['gcp', 'projects/shop/roles/customViewer', 'admin'],
    ['azure', 'Reader', 'read'],
    ['azure', 'storage blob data reader', 'read'],
    ['azure', 'Key Vault Secrets User', 'read'],
    ['azure', 'Azure Service Bus Data Receiver', 'read'],
    ['azure', 'acdd72a7-3385-48ef-bd42-f606fba81ae7', 'read'],
    ['azure', 'Contributor', 'write'],
    ['azure', 'Storage Blob Data Contributor', 'write'],
    ['azure', 'Owner', 'admin'],
    ['azure', 'storage blob data owner', 'admin'],
    ['azure', 'User Access Administrator', 'admin'],
    [
      'azure',
      '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
      'admin',
    ],
    ['azure', '11111111-2222-3333-4444-555555555555', 'admin'],
  ])('%s %s is %s', (cloud, permission, level) => {
    expect(permissionLevel(cloud, permission).level).toBe(level);
  });

  it('says why', () => {
    expect(permissionLevel('aws', '*').because).toBe('* is every action of every service');
    expect(permissionLevel('aws', 's3:*').because).toBe('s3:* is every action of s3');
    expect(permissionLevel('aws', 's3:Put*').because).toBe('s3:Put* manages permissions');
    expect(permissionLevel('azure', '11111111-2222-3333-4444-555555555555').because).toContain(
      'Keyless does not know',
    );
  });

  it('judges a grant by its highest permission', () => {
    expect(grantLevel('aws', ['s3:GetObject', 's3:PutObject', 's3:ListBucket'])?.level).toBe('write');
    expect(grantLevel('aws', ['s3:GetObject'])?.level).toBe('read');
    expect(grantLevel('aws', [])).toBeUndefined();
  });
});

describe('agrees with the access catalogue', () => {
  const catalogues: [ProviderName, Catalogue][] = [
    ['aws', awsCatalogue as Catalogue],
    ['gcp', gcpCatalogue as Catalogue],
    ['azure', azureCatalogue as Catalogue],
  ];
  const cases = catalogues.flatMap(([cloud, catalogue]) =>
    catalogue.entries.flatMap((entry) =>
      (['read', 'write'] as const).flatMap((level) =>
        entry.access[level].map((permission) => [cloud, entry.type, level, permission] as const),
      ),
    ),
  );

  it.each(cases)('%s %s: %s includes %s, which is judged no higher', (cloud, _type, level, permission) => {
    const judged = permissionLevel(cloud, permission).level;
    expect(level === 'read' ? [judged] : [judged]).toEqual(
      level === 'read' ? ['read'] : [expect.stringMatching(/^(read|write)$/)],
    );
  });
});
