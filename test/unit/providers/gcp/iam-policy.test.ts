import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMember,
  hasMember,
  hasMemberOrDeleted,
  type IamPolicy,
  isMemberOrDeleted,
  removeMember,
  setMembers,
} from '../../../../src/providers/gcp/iam-policy.js';

const ME = 'serviceAccount:kl-shop@p.iam.gserviceaccount.com';

function foreign(): IamPolicy {
  return {
    version: 3,
    etag: 'BwX',
    bindings: [
      { role: 'roles/viewer', members: ['user:ana@example.com'] },
      {
        role: 'roles/storage.objectViewer',
        members: ['group:data@example.com'],
        condition: { title: 'theirs', expression: 'resource.name.startsWith("projects/_/buckets/x")' },
      },
    ],
  };
}

describe('IAM policy edits', () => {
  it('add our member beside others, and remove only ours', () => {
    const policy = foreign();
    expect(addMember(policy, { role: 'roles/viewer', condition: undefined }, ME, undefined)).toBe(true);
    expect(addMember(policy, { role: 'roles/viewer', condition: undefined }, ME, undefined)).toBe(false);
    expect(policy.bindings?.[0]?.members).toEqual(['user:ana@example.com', ME]);
    expect(removeMember(policy, { role: 'roles/viewer', condition: undefined }, ME)).toBe(true);
    expect(policy).toEqual(foreign());
  });

  it('keep a conditional binding apart from the unconditional one of the same role, and set version 3', () => {
    const policy: IamPolicy = {
      version: 1,
      bindings: [{ role: 'roles/storage.objectViewer', members: ['user:ana@example.com'] }],
    };
    const key = {
      role: 'roles/storage.objectViewer',
      condition: 'resource.name.startsWith("projects/_/buckets/b")',
    };
    addMember(policy, key, ME, { title: 'keyless objectViewer', description: 'Managed by Keyless' });
    expect(policy.version).toBe(3);
    expect(policy.bindings).toHaveLength(2);
    expect(hasMember(policy, key, ME)).toBe(true);
    expect(hasMember(policy, { role: key.role, condition: undefined }, ME)).toBe(false);
    removeMember(policy, key, ME);
    expect(policy.bindings).toEqual([
      { role: 'roles/storage.objectViewer', members: ['user:ana@example.com'] },
    ]);
  });

  it('set exact membership only of the role it is given', () => {
    const policy = foreign();
    expect(
      setMembers(policy, 'roles/iam.workloadIdentityUser', ['serviceAccount:p.svc.id.goog[ns/sa]']),
    ).toBe(true);
    expect(
      setMembers(policy, 'roles/iam.workloadIdentityUser', ['serviceAccount:p.svc.id.goog[ns/sa]']),
    ).toBe(false);
    expect(setMembers(policy, 'roles/iam.workloadIdentityUser', [])).toBe(true);
    expect(policy).toEqual(foreign());
  });

  it('never disturb anyone else’s members, bindings or conditions (property)', () => {
    const role = fc.constantFrom('roles/viewer', 'roles/storage.objectViewer', 'roles/bigquery.dataViewer');
    const condition = fc.option(
      fc.constantFrom('request.time < timestamp("2030-01-01T00:00:00Z")', 'resource.name.startsWith("x")'),
      { nil: undefined },
    );
    const edit = fc.record({ add: fc.boolean(), role, condition });
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 12 }), (edits) => {
        const policy = foreign();
        for (const e of edits) {
          if (e.add)
            addMember(
              policy,
              { role: e.role, condition: e.condition },
              ME,
              e.condition ? { title: 't', description: 'd' } : undefined,
            );
          else removeMember(policy, { role: e.role, condition: e.condition }, ME);
        }
        const withoutMe = (p: IamPolicy) =>
          (p.bindings ?? [])
            .map((b) => ({ ...b, members: (b.members ?? []).filter((m) => m !== ME) }))
            .filter((b) => b.members.length > 0);
        expect(withoutMe(policy)).toEqual(withoutMe(foreign()));
      }),
    );
  });
});

describe('members whose service account is deleted', () => {
  const DELETED = `deleted:${ME}?uid=1234567890`;
  it.each([
    [ME, ME, true],
    [DELETED, ME, true],
    [`deleted:${ME}x?uid=1`, ME, false],
    ['deleted:principal://iam.googleapis.com/x?uid=1', 'principal://iam.googleapis.com/x', false],
    ['user:ana@example.com', ME, false],
  ])('%s is %s: %s', (found, member, expected) => {
    expect(isMemberOrDeleted(found, member)).toBe(expected);
  });

  it('removes the deleted form only when asked, leaving the other members', () => {
    const key = { role: 'roles/viewer', condition: undefined };
    const policy = foreign();
    policy.bindings?.[0]?.members?.push(DELETED);
    expect(hasMember(policy, key, ME)).toBe(false);
    expect(hasMemberOrDeleted(policy, key, ME)).toBe(true);
    expect(removeMember(policy, key, ME)).toBe(false);
    expect(removeMember(policy, key, ME, isMemberOrDeleted)).toBe(true);
    expect(policy.bindings).toEqual(foreign().bindings);
  });
});
