// Headless Chromium (Debian's) for tests that look at what the dashboard and the reports draw;
// the screenshots land in reports/test-artifacts for a person to open.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { projectRoot } from './test-env.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Where a test saves its screenshots (made if missing). */
export function screenshotPath(name: string): string {
  const dir = path.join(projectRoot, 'reports', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
