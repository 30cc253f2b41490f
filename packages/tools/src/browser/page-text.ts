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
/** The largest DOM serialisation read; a bigger page is cut, and its controls not snapshot. */
const MAX_HTML_CHARS = 2 * 1024 * 1024;

export interface PageText {
  title: string;
  url: string;
  text: string;
  controls: string[];
  /** Why the controls are not listed (a page too large to snapshot), when they are not. */
  controlsSkipped?: string;
}

/**
 * The rendered DOM as HTML, at most MAX_HTML_CHARS of it, cut inside the page, and the whole
 * serialisation's length. page.content() and the accessibility snapshot each brought all of a
 * page into this process: one holding 60 MB of text (within its heap cap) grew our memory by
 * ~300 MB and took 4 s a read. The cut runs in a world of its own (Chromium's isolated world:
 * the page's DOM, fresh JavaScript built-ins), so a page that replaces String.prototype.slice
 * or the outerHTML getter cannot hand back more.
 */
async function cappedHtml(page: Page): Promise<{ html: string; length: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { frameTree } = await cdp.send('Page.getFrameTree');
    const { executionContextId } = await cdp.send('Page.createIsolatedWorld', {
      frameId: frameTree.frame.id,
      worldName: 'oxydra-read',
    });
    const { result } = await cdp.send('Runtime.evaluate', {
      expression: `(() => { const root = document.documentElement; const html = root ? root.outerHTML : ''; return { html: html.length > ${MAX_HTML_CHARS} ? html.slice(0, ${MAX_HTML_CHARS}) : html, length: html.length }; })()`,
      contextId: executionContextId,
      returnByValue: true,
    });
    const value = result.value as { html?: unknown; length?: unknown } | undefined;
    const html = typeof value?.html === 'string' ? value.html.slice(0, MAX_HTML_CHARS) : '';
    const length = typeof value?.length === 'number' ? value.length : html.length;
    return { html, length };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

export async function readPage(page: Page, signal: AbortSignal): Promise<PageText> {
  const { html, length } = await cappedHtml(page);
  const converted = await htmlToPageAsync(html, page.url(), signal);
  const read: PageText = {
    title: converted.title ?? (await page.title()),
    url: page.url(),
    text: converted.text,
    controls: [],
  };
  // Playwright's snapshot holds the page's every word: past the cap it is not taken at all.
  if (length > MAX_HTML_CHARS)
    read.controlsSkipped = `the page's HTML is ${length} characters, too large to list its controls; browser_click and browser_type still find a control by its name`;
  else read.controls = controlsOf(await page.locator('body').ariaSnapshot());
  return read;
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
