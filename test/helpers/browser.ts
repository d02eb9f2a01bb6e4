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

/** Debian's chromium, installed by scripts/setup.sh. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Where a test saves its screenshots (made if missing). */
export function screenshotPath(name: string): string {
  const dir = path.join(projectRoot, 'reports', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
