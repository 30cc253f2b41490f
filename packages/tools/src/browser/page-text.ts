/**
 * What browser_read shows: the rendered page (the DOM after its scripts ran) as text through
 * web_fetch's linear HTML reader, links inline, then the controls a click or a typed text can
 * name, from Playwright's accessibility snapshot. Both are the page's words: untrusted text.
 */
import type { Page } from 'playwright-core';
import { htmlToPageAsync } from '../web/html-to-text.js';

const CONTROL_ROLES =
  'button|link|textbox|searchbox|combobox|checkbox|radio|tab|menuitem|option|switch|slider|spinbutton';
const CONTROL_LINE = new RegExp(`^\\s*- (${CONTROL_ROLES}) "((?:[^"\\\\]|\\\\.)*)"`);
const URL_LINE = /^\s*- \/url: (.+)$/;
const MAX_CONTROLS = 100;
/** The largest DOM serialisation read; a bigger page is cut (the reader is linear, but the text is capped anyway). */
const MAX_HTML_CHARS = 2 * 1024 * 1024;

export interface PageText {
  title: string;
  url: string;
  text: string;
  controls: string[];
}

export async function readPage(page: Page, signal: AbortSignal): Promise<PageText> {
  const html = (await page.content()).slice(0, MAX_HTML_CHARS);
  const converted = await htmlToPageAsync(html, page.url(), signal);
  const snapshot = await page.locator('body').ariaSnapshot();
  return {
    title: converted.title ?? (await page.title()),
    url: page.url(),
    text: converted.text,
    controls: controlsOf(snapshot),
  };
}

/** `button "Next"`, `link "About" -> https://…`, from the snapshot's YAML-like lines. */
function controlsOf(snapshot: string): string[] {
  const lines = snapshot.split('\n');
  const controls: string[] = [];
  for (let i = 0; i < lines.length && controls.length < MAX_CONTROLS; i++) {
    const match = CONTROL_LINE.exec(lines[i] ?? '');
    if (!match) continue;
    const [, role, name] = match;
    if (name === '') continue;
    const url = role === 'link' ? URL_LINE.exec(lines[i + 1] ?? '')?.[1] : undefined;
    controls.push(`${role} "${name}"${url ? ` -> ${url}` : ''}`);
  }
  return controls;
}
