import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README_PATH, renderReadme } from '../../../scripts/readme-tables.js';
import { PROVIDERS } from '../../../src/api/index.js';
import { rulesInForce, unknownAllowances } from '../../../src/policy/escalation.js';
import { ESCALATION_RULES } from '../../../src/policy/escalation-rules.js';
import { guardrailRefusal } from '../../../src/policy/guardrails.js';
import type { ResolvedGrant } from '../../../src/providers/provider.js';

const AZURE = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  tenantId: '00000000-0000-0000-0000-0000000000aa',
  resourceGroup: 'identities',
  location: 'westeurope',
  issuerUrl: 'https://issuer.example',
};

/**
 * A grant that the rule refuses first: its own action or role (or, for a rule on an Azure action,
 * a role that carries it), in the scope it covers.
 */
function grantFor(rule: (typeof ESCALATION_RULES)[number]): ResolvedGrant {
  const subscription = `/subscriptions/${AZURE.subscriptionId}`;
  const scope =
    rule.cloud === 'aws'
      ? '*'
      : rule.cloud === 'gcp'
        ? 'projects/shop'
        : rule.carriedBy
          ? `${subscription}/resourceGroups/${AZURE.resourceGroup}`
          : subscription;
  return {
    resource: scope,
    access: undefined,
    permissions: [rule.carriedBy?.find((r) => r === 'Contributor') ?? rule.refuses],
    permissionKind: rule.cloud === 'aws' ? 'action' : 'role',
    scopes: [scope],
  };
}

describe('the built-in escalation rules', () => {
  it('are named once per cloud, and each says why', () => {
    for (const cloud of PROVIDERS) {
      const names = ESCALATION_RULES.filter((r) => r.cloud === cloud).map((r) => r.refuses.toLowerCase());
      expect(new Set(names).size).toBe(names.length);
      expect(names.length).toBeGreaterThan(0);
    }
    for (const rule of ESCALATION_RULES) expect(rule.why.length).toBeGreaterThan(20);
  });

  it.each(ESCALATION_RULES.map((rule) => [rule.cloud, rule.refuses, rule] as const))(
    '%s %s refuses its own grant with no guardrails set, and is lifted by its name alone',
    (cloud, refuses, rule) => {
      const grant = grantFor(rule);
      const account = { provider: cloud, ...(cloud === 'azure' ? { azure: AZURE } : {}) };
      const refused = guardrailRefusal(account, [grant], { lifetimeMs: undefined });
      expect(refused?.reason).toBe('EscalationRefused');
      expect(refused?.problems[0]).toContain(`guardrails.allowEscalation: ["${refuses}"]`);
      // Lifting it leaves other rules that also cover the grant (`*` covers every AWS rule).
      const lifted = rulesInForce(cloud, [refuses]);
      expect(lifted).not.toContain(rule);
      expect(lifted.length).toBe(ESCALATION_RULES.filter((r) => r.cloud === cloud).length - 1);
      expect(unknownAllowances(cloud, [refuses])).toEqual([]);
    },
  );

  it('are listed in the README as the data says (run `npm run generate`)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });

  it('name the README block a missing marker would hide', () => {
    expect(() => renderReadme('# no tables here\n')).toThrow(/generated:escalation-rules/);
  });
});
