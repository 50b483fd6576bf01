import { describe, expect, it } from 'vitest';
import { guardrailFinding } from '../../../src/cli/guardrail-finding.js';
import { account, binding, identity } from '../views/fixtures.js';

const rules = [{ label: 'denied actions', value: 'iam:*' }];

describe("an object judged again by its account's guardrails", () => {
  it('names each grant of a binding and the rule it breaks', () => {
    const passRole = binding('deploy', 'orders-api', 'shop', undefined, {
      grants: [{ resource: 'arn:aws:iam::123456789012:role/deployer', actions: ['iam:PassRole'] }],
    });
    const open = account('aws-prod');
    open.spec.guardrails = {};
    expect(guardrailFinding(passRole, identity('orders-api'), open, [], 'EscalationRefused')).toEqual({
      account: 'aws-prod',
      rules: [],
      problems: [
        expect.stringMatching(
          /^grant 0 \(arn:aws:iam::123456789012:role\/deployer\): action iam:PassRole is refused by default/,
        ),
      ],
    });
  });

  it('says a binding passes where the account has guardrails, and nothing where it has none', () => {
    const read = binding('read', 'orders-api');
    expect(guardrailFinding(read, identity('orders-api'), account('aws-prod'), rules, 'Available')).toEqual({
      account: 'aws-prod',
      rules,
      problems: [],
    });
    expect(
      guardrailFinding(read, identity('orders-api'), account('aws-prod'), [], 'Available'),
    ).toBeUndefined();
  });

  it("names an identity's namespace the account does not allow, and a permissions boundary it requires", () => {
    const strict = account('aws-prod');
    strict.spec.guardrails = { allowedNamespaces: ['team-*'], requirePermissionsBoundary: true };
    const wi = identity('orders-api');
    expect(guardrailFinding(wi, wi, strict, rules, 'NamespaceNotAllowed')?.problems).toEqual([
      "namespace shop is not in the account's allowedNamespaces",
      'CloudAccount aws-prod requires a permissions boundary: set spec.aws.permissionsBoundaryArn',
    ]);
    expect(guardrailFinding(wi, wi, strict, rules, 'Available')).toBeUndefined();
  });
});
