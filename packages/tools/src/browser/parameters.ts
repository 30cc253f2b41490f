/** The browser tools' argument schemas (what the model sees and the registry enforces). */
import { z } from 'zod';

export const CLICK_ROLES = [
  'button',
  'link',
  'checkbox',
  'radio',
  'tab',
  'menuitem',
  'option',
  'switch',
] as const;

export const BROWSER_OPEN = z.object({
  url: z.string().min(1).describe('an http(s) URL'),
});
export type BrowserOpenArgs = z.output<typeof BROWSER_OPEN>;

export const BROWSER_READ = z.object({});

export const BROWSER_CLICK = z.object({
  name: z.string().min(1).describe('the accessible name, as browser_read lists it'),
  role: z.enum(CLICK_ROLES).optional().describe('narrows the match when a name is on several controls'),
});
export type BrowserClickArgs = z.output<typeof BROWSER_CLICK>;

export const BROWSER_TYPE = z.object({
  name: z.string().min(1).describe("the field's accessible name (its label), as browser_read lists it"),
  text: z.string().max(10_000),
  submit: z.boolean().default(false).describe('press Enter afterwards'),
});
export type BrowserTypeArgs = z.output<typeof BROWSER_TYPE>;

export const BROWSER_SCREENSHOT = z.object({
  full_page: z.boolean().default(false).describe('the whole page, not only the visible part'),
});
export type BrowserScreenshotArgs = z.output<typeof BROWSER_SCREENSHOT>;

export const BROWSER_CLOSE = z.object({});
