import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ARGOCD_CM_PATH, CUSTOMIZATIONS_DIR, renderArgocdCm } from '../../../scripts/argocd-cm.js';

describe('gitops/argocd/argocd-cm.yaml', () => {
  it('is what `npm run generate` writes', () => {
    expect(readFileSync(ARGOCD_CM_PATH, 'utf8')).toBe(renderArgocdCm());
  });

  it("holds each kind's health check and every action, under Argo CD's keys", () => {
    const cm = parse(readFileSync(ARGOCD_CM_PATH, 'utf8')) as { data: Record<string, string> };
    for (const kind of ['CloudAccount', 'WorkloadIdentity', 'IdentityBinding']) {
      const dir = `${CUSTOMIZATIONS_DIR}${kind}/`;
      expect(cm.data[`resource.customizations.health.keyless.dev_${kind}`]).toBe(
        readFileSync(`${dir}health.lua`, 'utf8'),
      );
      const actions = parse(cm.data[`resource.customizations.actions.keyless.dev_${kind}`] ?? '') as {
        'discovery.lua': string;
        definitions: { name: string; 'action.lua': string }[];
      };
      expect(actions['discovery.lua']).toBe(readFileSync(`${dir}actions/discovery.lua`, 'utf8'));
      const names = readdirSync(`${dir}actions`, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== 'testdata')
        .map((e) => e.name)
        .sort();
      expect(actions.definitions.map((d) => d.name)).toEqual(names);
      for (const definition of actions.definitions)
        expect(definition['action.lua']).toBe(
          readFileSync(`${dir}actions/${definition.name}/action.lua`, 'utf8'),
        );
    }
  });
});
