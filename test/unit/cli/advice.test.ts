import { describe, expect, it } from 'vitest';
import { REASONS } from '../../../src/api/reasons.js';
import { adviceFor } from '../../../src/cli/advice.js';
import { VIEW_REASONS } from '../../../src/views/index.js';

const facts = {
  kind: 'IdentityBinding' as const,
  namespace: 'shop',
  name: 'orders-admin',
  account: 'aws-prod',
  identity: 'orders-api',
};

describe('what to do', () => {
  it.each(Object.entries(REASONS).filter(([, entry]) => entry.outcome !== 'Success'))(
    '%s: says what to do in words of its own, with whole commands',
    (reason) => {
      const advice = adviceFor(reason, facts);
      expect(advice).not.toMatch(/undefined|\[object/);
      expect(advice.split('`').length % 2).toBe(1);
      expect(advice).not.toBe(adviceFor('Available', facts));
    },
  );

  it('names the object, its account and identity where they matter', () => {
    expect(adviceFor('Expired', facts)).toContain('`kubectl keyless extend ib/orders-admin -n shop --by 2h`');
    expect(adviceFor('EscalationRefused', facts)).toContain(
      "CloudAccount aws-prod's guardrails.allowEscalation",
    );
    expect(adviceFor('IdentityNotReady', facts)).toContain('`kubectl keyless why wi/orders-api -n shop`');
    expect(
      adviceFor('NotOwned', { kind: 'WorkloadIdentity', namespace: 'shop', name: 'orders-api' }),
    ).toContain('`kubectl annotate wi/orders-api -n shop keyless.dev/adopt=true`');
  });

  it('has words for the read model’s own reasons and for a reason it does not know', () => {
    expect(adviceFor(VIEW_REASONS.NotReconciled, facts)).toContain('operator is running');
    expect(adviceFor('Expiring', facts)).toContain('extend');
    expect(adviceFor('SomethingNew', facts)).toContain('does not know the reason SomethingNew');
    expect(adviceFor('Available', facts)).toBe('Nothing to do: Keyless has this in hand.');
  });
});
