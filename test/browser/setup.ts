/**
 * Vitest global setup for the browser tests: builds the dashboard's assets (esbuild, about a
 * second) for the in-process operator to serve, and finds or installs Chromium.
 */
import type { TestProject } from 'vitest/node';
import { buildDashboardAssets } from '../../scripts/build-dashboard.js';
import { CHROMIUM_KEY, ensureChromium } from '../support/chromium.js';

export default async function setup(project: TestProject): Promise<void> {
  const assets = await buildDashboardAssets();
  console.log(`[dashboard] built: ${assets.reduce((sum, a) => sum + a.gzippedBytes, 0)} B gzipped`);
  const chromium = ensureChromium();
  if (chromium.kind === 'unavailable') {
    if (process.env.CI === 'true')
      throw new Error(`${chromium.reason} (with CI=true this fails instead of skipping)`);
    console.warn(`[chromium] skipping the browser tests: ${chromium.reason}`);
  }
  project.provide(CHROMIUM_KEY, chromium);
}
