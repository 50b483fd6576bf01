import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CpuProfileSummary } from '../results.js';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 writes them. */
  lineNumber: number;
  columnNumber?: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

/** Where a function of a bundled file was written: its source's URL and line (0-based), if known. */
export type Locate = (
  url: string,
  lineNumber: number,
  columnNumber: number,
) => { url: string; lineNumber: number } | undefined;

/**
 * Reads the source map beside each bundled file (`<file>.map`, which the benchmark's bundle of the
 * operator host writes), once per file, so a profile of the bundle names the modules its functions
 * came from. A line of the bundle whose comment had characters beyond ASCII escaped
 * (`asciiOnly`) is longer than the map says: functions after such a comment on the same line may
 * be placed a little off. Files without a map are left as they are.
 */
export function sourceMapLocator(): Locate {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (maps.has(url)) return maps.get(url);
    const path = `${fileURLToPath(url)}.map`;
    const map = existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined;
    maps.set(url, map);
    return map;
  };
  return (url, lineNumber, columnNumber) => {
    if (!url.startsWith('file://')) return undefined;
    const entry = mapOf(url)?.findEntry(lineNumber, columnNumber);
    if (!entry || !('originalSource' in entry)) return undefined;
    // esbuild names sources relative to the bundled file.
    return { url: new URL(entry.originalSource, url).href, lineNumber: entry.originalLine };
  };
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Self time of a V8 CPU profile, by where the code lives (Keyless's src/, each package, Node
 * internals, GC, idle) and by function: each sample counts for one sampling interval, as Chrome
 * DevTools counts self time (hit count × the mean interval). Weighted by the gap before it, a
 * sample would credit the stack it caught with time the process spent off the CPU: on cores shared
 * with the API server, the sampler is late more often while the operator is in a socket write, so
 * writes looked half as costly again as they are (13.5% of the time against 9.0% of the samples, in
 * a converge of 500 + 500).
 */
export function summarizeProfile(file: string, scenario: string): CpuProfileSummary {
  return summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, file, scenario, sourceMapLocator());
}

/** `locate` places each function of a bundled file in the source it was bundled from. */
export function summarize(
  profile: Profile,
  file: string,
  scenario: string,
  locate?: Locate,
): CpuProfileSummary {
  const source = (frame: CallFrame): CallFrame => {
    const at = locate?.(frame.url, frame.lineNumber, frame.columnNumber ?? 0);
    return at ? { ...frame, ...at } : frame;
  };
  const nodes = new Map(
    profile.nodes.map((node) => [node.id, { ...node, callFrame: source(node.callFrame) }]),
  );
  const selfSamples = new Map<number, number>();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; samples: number }>();
  let busy = 0;
  for (const [id, samples] of selfSamples) {
    const node = nodes.get(id);
    if (!node) continue;
    const category = categoryOf(node);
    byCategory.set(category, (byCategory.get(category) ?? 0) + samples);
    if (category === '(idle)') continue;
    busy += samples;
    const where = `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, samples: 0 };
    entry.samples += samples;
    byFunction.set(key, entry);
  }
  const share = (samples: number) => Math.round((samples / busy) * 1000) / 1000;
  return {
    file,
    scenario,
    totalSeconds: Math.round((profile.endTime - profile.startTime) / 10_000) / 100,
    byCategory: [...byCategory]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([name, samples]) => ({ name, share: share(samples) })),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.samples - a.samples)
      .slice(0, 15)
      .map(({ name, where, samples }) => ({ name, where, share: share(samples) })),
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
