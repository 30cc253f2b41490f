/**
 * Whether the browser tools can run here, without starting anything (for `oxydra doctor`):
 * a Chromium on PATH (or the configured one) and the optional playwright-core package.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { findChromium } from './launch.js';

export interface BrowserAvailability {
  /** The Chromium that would run, when it is there and executable. */
  chromium?: string;
  /** playwright-core's version, when it resolves from here. */
  playwright?: string;
}

export function browserAvailability(executable?: string): BrowserAvailability {
  const found: BrowserAvailability = {};
  const chromium = findChromium(executable);
  if (chromium) {
    try {
      accessSync(chromium, constants.X_OK);
      found.chromium = chromium;
    } catch {
      // configured but missing or not executable: left out
    }
  }
  try {
    const manifest = createRequire(import.meta.url).resolve('playwright-core/package.json');
    found.playwright = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version);
  } catch {
    // not installed
  }
  return found;
}
