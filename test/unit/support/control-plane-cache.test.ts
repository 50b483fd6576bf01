import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedBinaries, readManifest } from '../../support/control-plane/cache.js';
import { ensureControlPlaneBuilt } from '../../support/control-plane/go-build.js';
import { readControlPlaneVersions } from '../../support/control-plane/versions.js';

const versions = readControlPlaneVersions();

/**
 * What the cache decides to build is checked with a `go` that only records its command line and
 * writes an executable where `-o` points (a real build takes minutes; the test setup does one).
 */
function recordingGo(dir: string, failFor?: string): { go: string; builds: () => string[] } {
  const log = join(dir, 'go.log');
  const go = join(dir, 'go');
  writeFileSync(
    go,
    [
      '#!/bin/sh',
      'if [ "$1" = env ]; then echo go1.26-recording; exit 0; fi',
      `echo "$*" >> '${log}'`,
      'out=""; prev=""',
      'for arg in "$@"; do [ "$prev" = -o ] && out="$arg"; prev="$arg"; done',
      failFor ? `case "$out" in */${failFor}) echo "cannot build ${failFor}" >&2; exit 1;; esac` : '',
      'printf "#!/bin/sh\\n" > "$out" && chmod +x "$out"',
    ].join('\n'),
  );
  chmodSync(go, 0o755);
  const builds = () => {
    try {
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ').at(-1) ?? '');
    } catch {
      return [];
    }
  };
  return { go, builds };
}

describe('the control-plane cache', () => {
  let root: string;
  let cacheRoot: string;
  const silent = () => {};

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'keyless-cp-cache-'));
    cacheRoot = join(root, 'cache');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('builds kube-apiserver, etcd and kubectl into an empty cache, then nothing', async () => {
    const { go, builds } = recordingGo(root);
    const first = await ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent });
    expect(first.built).toEqual(['kube-apiserver', 'etcd', 'kubectl']);
    expect(builds()).toEqual([
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'go.etcd.io/etcd/server/v3',
      'k8s.io/kubernetes/cmd/kubectl',
    ]);
    expect([...cachedBinaries(versions, cacheRoot).present]).toEqual(['kube-apiserver', 'etcd', 'kubectl']);
    const manifest = readManifest(first.dir);
    expect(manifest?.binaries.kubectl).toMatchObject({
      version: versions.kubernetes,
      goVersion: 'go1.26-recording',
    });
    expect(manifest?.binaries.etcd?.version).toBe(versions.etcd);

    const second = await ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent });
    expect(second.built).toEqual([]);
    expect(builds()).toHaveLength(3);
  });

  it('adds only kubectl to a cache holding kube-apiserver and etcd in the older layout, keeping them', async () => {
    const dir = join(cacheRoot, versions.kubernetes);
    mkdirSync(dir, { recursive: true });
    for (const binary of ['kube-apiserver', 'etcd']) {
      writeFileSync(join(dir, binary), '#!/bin/sh\n# built earlier\n', { mode: 0o755 });
    }
    const older = {
      kubernetes: versions.kubernetes,
      etcd: versions.etcd,
      goVersion: 'go1.26.0',
      builtAt: '2026-11-01T00:00:00.000Z',
      buildSeconds: 270,
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(older));
    const apiServerBefore = statSync(join(dir, 'kube-apiserver'));
    const { go, builds } = recordingGo(root);

    const result = await ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent });

    expect(result.built).toEqual(['kubectl']);
    expect(builds()).toEqual(['k8s.io/kubernetes/cmd/kubectl']);
    expect(statSync(join(dir, 'kube-apiserver')).ino).toBe(apiServerBefore.ino);
    expect(readFileSync(join(dir, 'kube-apiserver'), 'utf8')).toContain('built earlier');
    const written = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    // Still what a reader of the older layout checks: the top-level versions.
    expect(written).toMatchObject({ kubernetes: versions.kubernetes, etcd: versions.etcd });
    expect(written.binaries['kube-apiserver']).toEqual({
      version: versions.kubernetes,
      goVersion: 'go1.26.0',
      builtAt: older.builtAt,
      buildSeconds: 270,
    });
    expect(Object.keys(written.binaries).sort()).toEqual(['etcd', 'kube-apiserver', 'kubectl']);
  });

  it('rebuilds only a binary recorded at another version', async () => {
    const { go, builds } = recordingGo(root);
    const { dir } = await ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    manifest.binaries.etcd.version = 'v3.0.0';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(cachedBinaries(versions, cacheRoot).present.has('etcd')).toBe(false);

    const result = await ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent });
    expect(result.built).toEqual(['etcd']);
    expect(builds().slice(3)).toEqual(['go.etcd.io/etcd/server/v3']);
    expect(readManifest(dir)?.etcd).toBe(versions.etcd);
  });

  it('builds just kubectl when asked for just kubectl', async () => {
    const { go, builds } = recordingGo(root);
    const result = await ensureControlPlaneBuilt({
      goBinary: go,
      cacheRoot,
      log: silent,
      binaries: ['kubectl'],
    });
    expect(result.built).toEqual(['kubectl']);
    expect(builds()).toEqual(['k8s.io/kubernetes/cmd/kubectl']);
    expect([...cachedBinaries(versions, cacheRoot).present]).toEqual(['kubectl']);
  });

  it('reports a failed build with its output, keeping what landed before it and nothing of it', async () => {
    const { go } = recordingGo(root, 'kubectl');
    await expect(ensureControlPlaneBuilt({ goBinary: go, cacheRoot, log: silent })).rejects.toThrow(
      /k8s\.io\/kubernetes\/cmd\/kubectl .* exited with 1:\ncannot build kubectl/,
    );
    expect([...cachedBinaries(versions, cacheRoot).present]).toEqual(['kube-apiserver', 'etcd']);
    const dir = join(cacheRoot, versions.kubernetes);
    expect(() => statSync(join(dir, 'kubectl'))).toThrow();
    expect(readdirSync(cacheRoot)).toEqual([versions.kubernetes]); // no temp dir, no lock left
  });
});
