import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MANIFEST_TEMPLATE, renderManifest } from '../../../scripts/plugin-archive-build.js';

const template = readFileSync(MANIFEST_TEMPLATE, 'utf8');
const values = {
  VERSION: '1.2.3',
  URI: 'https://example.org/kubectl-keyless-v1.2.3.tar.gz',
  SHA256: 'a'.repeat(64),
  HOMEPAGE: 'https://keyless.dev',
};

describe('the krew manifest template', () => {
  it('renders to a krew Plugin with every value filled in, and no template comment', () => {
    const rendered = renderManifest(template, values);
    expect(rendered).not.toMatch(/\{\{|^#/m);
    const manifest = parse(rendered);
    expect(manifest).toMatchObject({
      apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
      kind: 'Plugin',
      metadata: { name: 'keyless' },
      spec: {
        version: 'v1.2.3',
        homepage: 'https://keyless.dev',
        platforms: [{ uri: values.URI, sha256: values.SHA256, bin: 'kubectl-keyless' }],
      },
    });
  });

  it('refuses to leave a placeholder without a value', () => {
    expect(() => renderManifest(`${template}\n  extra: "{{LICENSE}}"\n`, values)).toThrow(
      'names {{LICENSE}}, which has no value',
    );
  });
});
