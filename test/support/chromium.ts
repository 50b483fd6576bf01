/**
 * Debian's Chromium for the browser tests: found on PATH (or at KEYLESS_CHROMIUM), else installed
 * with apt-get when this process is root on a Debian-like machine (as CI runs), else unavailable
 * with one line saying how to get it. Test files learn the result from the global setup.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inject } from 'vitest';
import { findOnPath as which } from './control-plane/which.js';

export const CHROMIUM_KEY = 'keylessChromium';

export type ChromiumAvailability =
  | { readonly kind: 'found'; readonly path: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    keylessChromium: ChromiumAvailability;
  }
}

export const HOW_TO_ENABLE_CHROMIUM =
  "install Debian's chromium (apt-get install chromium) or point KEYLESS_CHROMIUM at a Chromium binary";

const NAMES = ['chromium', 'chromium-browser'];

export function findChromium(): string | undefined {
  const configured = process.env.KEYLESS_CHROMIUM;
  if (configured) return existsSync(configured) ? configured : undefined;
  for (const name of NAMES) {
    const path = which(name);
    if (path) return path;
  }
  return undefined;
}

/** Finds Chromium, installing Debian's package first when this process may (root with apt-get). */
export function ensureChromium(): ChromiumAvailability {
  const found = findChromium();
  if (found) return { kind: 'found', path: found };
  if (process.env.KEYLESS_CHROMIUM) {
    return { kind: 'unavailable', reason: `KEYLESS_CHROMIUM=${process.env.KEYLESS_CHROMIUM} does not exist` };
  }
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    return { kind: 'unavailable', reason: `no Chromium on PATH: ${HOW_TO_ENABLE_CHROMIUM}` };
  }
  console.log("[chromium] installing Debian's chromium package (apt-get, about a minute once) ...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env,
    });
  } catch (err) {
    return { kind: 'unavailable', reason: `apt-get install chromium failed: ${(err as Error).message}` };
  }
  const installed = findChromium();
  return installed
    ? { kind: 'found', path: installed }
    : { kind: 'unavailable', reason: 'apt-get installed chromium, but no chromium binary is on PATH' };
}

export function chromiumAvailability(): ChromiumAvailability {
  return (
    (inject(CHROMIUM_KEY) as ChromiumAvailability | undefined) ??
    (() => {
      const path = findChromium();
      return path
        ? { kind: 'found' as const, path }
        : { kind: 'unavailable' as const, reason: HOW_TO_ENABLE_CHROMIUM };
    })()
  );
}

/** True when browser suites should skip (never under CI=true: there they fail). */
export function shouldSkipBrowserTests(availability: ChromiumAvailability = chromiumAvailability()): boolean {
  return availability.kind === 'unavailable' && process.env.CI !== 'true';
}
