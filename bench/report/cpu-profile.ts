import { readFileSync } from 'node:fs';
import type { CpuProfileSummary } from '../results.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Self time of a V8 CPU profile, by where the code lives (Keyless's src/, each package, Node
 * internals, GC, idle) and by function.
 */
export function summarizeProfile(file: string, scenario: string): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const category = categoryOf(node);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    if (category === '(idle)') continue;
    busy += us;
    const where = `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const share = (us: number) => Math.round((us / busy) * 1000) / 1000;
  return {
    file,
    scenario,
    totalSeconds: Math.round((profile.endTime - profile.startTime) / 10_000) / 100,
    byCategory: [...byCategory]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, share: share(us) })),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 15)
      .map(({ name, where, us }) => ({ name, where, share: share(us) })),
  };
}

function categoryOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'V8 (program)';
    // Native functions called from JavaScript: TLS, sockets, zlib, crypto.
    return 'native (called from JS)';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg && !url.includes('node_modules/.cache/')) return `package ${pkg[1]}`;
  const src = /\/(src\/[^/]+)/.exec(url);
  if (src) return `keyless ${src[1]}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/(?!\.cache)(.*)$/.exec(url);
  if (pkg) return pkg[1] ?? url;
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}
