/**
 * The text a mail's HTML shows its reader, and none it hides. A mail's HTML can carry words
 * no mail program displays (`display:none`, white on white, `font-size:0`, `<template>`, a class
 * a `<style>` block hides); converted whole, as mailparser did, they reached the prompt as the
 * sender's own words, untainted from an operator, though neither they nor anyone saw them.
 *
 * Two linear passes of the web tools' tokenizer (htmlparser2's, no tree; loaded with the first
 * HTML mail): the first collects the `<style>` blocks (they apply to the whole mail, above or
 * below), the second keeps a stack of open elements and writes text only outside every hidden
 * one. What CSS hides is decided in css.ts; every doubt counts as hidden.
 *
 * The stack follows the browser's where it matters and is never scanned: an end tag closes only
 * the element on top of the stack, or pops down to its element when no element on the stack
 * hides anything. Where the HTML's nesting is broken inside hidden text (an end tag for an
 * element further down, which browsers may ignore or mend: `<span hidden><div></span>`, `<b
 * style=display:none>` rebuilt after `</p>`), what follows cannot be placed safely: the rest of
 * the mail is left out, with a line saying so.
 */
import { type HtmlHandler, scanHtmlAsync } from '@oxydra/tools/html-scan';
import {
  type Color,
  emptyLook,
  indexStyles,
  type Look,
  mergeLook,
  type StyleIndex,
  styleLook,
} from './css.js';
import { CURRENT, unreadable } from './css-colors.js';

/**
 * The line for a mail whose every word is hidden: it stands in for the text, so a plain
 * alternative (which the reader's program did not show either) is not read in its place.
 */
export const HIDDEN_TEXT_LINE =
  '[Oxydra left out the text of this HTML mail: all of it is hidden from a reader]';

/** The line put where the rest of a mail was left out. */
export const HIDDEN_REST_LINE =
  '[Oxydra left out the rest of this HTML mail: its markup hides text in a way that cannot be followed safely]';
/** The line that replaces a mail whose whole text may be hidden. */
export const HIDDEN_ALL_LINE =
  '[Oxydra left out the text of this HTML mail: its page is hidden or styled by a remote style sheet]';

const VOID = new Set(
  'area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr'.split(
    ' ',
  ),
);
/** Elements browsers never display, or whose content is not the page's text (a select's, a video's fallback). */
const NEVER_SHOWN = new Set(
  'script style template title noscript noembed noframes iframe datalist rp select object video audio canvas'.split(
    ' ',
  ),
);
/**
 * SVG and MathML are parsed by other rules (an HTML tag inside breaks out of them, a `<style>`
 * in them is markup), which a tokenizer without the browser's tree builder cannot follow.
 */
const FOREIGN = new Set(['svg', 'math']);
const PARAGRAPH = new Set('p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol dl hr'.split(' '));
const BLOCK = new Set(
  'address article aside center dd details dialog dir div dt fieldset figcaption figure footer form header hgroup li main menu nav section summary tbody tfoot thead tr caption'.split(
    ' ',
  ),
);
const PREFORMATTED = new Set(['pre', 'textarea', 'listing', 'xmp', 'plaintext']);
const WANTED = new Set([
  'style',
  'class',
  'id',
  'hidden',
  'bgcolor',
  'color',
  'text',
  'open',
  'width',
  'height',
  'rel',
]);

/** Colours an element's text may be drawn in, or on (its own background and those showing through). */
const MAX_LAYERS = 16;
const BLACK: Color = { r: 0, g: 0, b: 0, a: 1 };
const WHITE: Color = { r: 255, g: 255, b: 255, a: 1 };

interface Frame {
  name: string;
  /** It and everything inside it are not shown (display:none and the like). */
  hidden: boolean;
  /** visibility:hidden, its own or inherited: a child with visibility:visible is shown. */
  invisible: boolean;
  /** A closed `<details>`: only its first `<summary>` child is shown (`summary`: that one was met). */
  folded?: { summary: boolean };
  tiny: boolean;
  colors: readonly Color[];
  backgrounds: readonly Color[];
  /** Its text unreadable on its background, or too small, or hidden: anything not shown. */
  cloaked: boolean;
}

/** A legacy colour attribute (`bgcolor="ffffff"` is white too). */
function legacyColor(value: string): string {
  const v = value.trim().toLowerCase();
  return /^[0-9a-f]{6}$|^[0-9a-f]{3}$/.test(v) ? `#${v}` : v;
}

/** Style attributes read, by their text: a mail repeats the same few on every element. */
const styleLooks = new Map<string, Look>();
const MAX_CACHED_STYLES = 1024;
/** Longer ones are read each time: the cache outlives the mail, and must stay small. */
const MAX_CACHED_STYLE_CHARS = 300;

function cachedStyleLook(style: string): Look {
  if (style.length > MAX_CACHED_STYLE_CHARS) return styleLook(style);
  let look = styleLooks.get(style);
  if (look === undefined) {
    look = styleLook(style);
    if (styleLooks.size >= MAX_CACHED_STYLES) styleLooks.clear();
    styleLooks.set(style, look);
  }
  return look;
}

/** The look of an element: its `<style>` rules, its style attribute, and its HTML attributes. */
function lookOf(name: string, attrs: ReadonlyMap<string, string>, index: StyleIndex): Look {
  const look = emptyLook();
  const add = (key: string, sure: boolean) => {
    const filed = index.get(key);
    // Keys are lower-cased: a class or id in capitals may not be the one a rule names.
    if (filed) mergeLook(look, sure ? filed : { ...filed, visible: false, sure: emptyLook().sure });
  };
  add('*', true);
  add(`tag:${name}`, true);
  const id = attrs.get('id')?.trim();
  if (id) add(`id:${id.toLowerCase()}`, id === id.toLowerCase());
  for (const name of new Set((attrs.get('class') ?? '').split(/\s+/)))
    if (name) add(`class:${name.toLowerCase()}`, name === name.toLowerCase());
  const style = attrs.get('style');
  if (style) mergeLook(look, cachedStyleLook(style));
  if (attrs.has('hidden') || NEVER_SHOWN.has(name)) look.hides = true;
  if (name === 'dialog' && !attrs.has('open')) look.hides = true;
  if (
    ['0', '0px'].includes(attrs.get('width')?.trim() ?? '') ||
    ['0', '0px'].includes(attrs.get('height')?.trim() ?? '')
  )
    look.hides = true;
  const legacy = (attribute: string, property: string) => {
    const value = attrs.get(attribute);
    if (value !== undefined) mergeLook(look, styleLook(`${property}: ${legacyColor(value)}`));
  };
  legacy('bgcolor', 'background-color');
  if (name === 'font') legacy('color', 'color');
  if (name === 'body') legacy('text', 'color');
  return look;
}

const sameColor = (a: Color, b: Color) =>
  a === b ||
  (typeof a === 'object' &&
    typeof b === 'object' &&
    a.r === b.r &&
    a.g === b.g &&
    a.b === b.b &&
    a.a === b.a);

/**
 * `own` colours over the parent's, each once. Past `max`, the rest may be what the text is drawn
 * in or on: unknown, so unreadable.
 */
function layers(own: readonly Color[], parent: readonly Color[], max: number): readonly Color[] {
  if (own.length === 0) return parent;
  const all: Color[] = [];
  for (const color of [...own, ...parent]) if (!all.some((c) => sameColor(c, color))) all.push(color);
  return all.length > max ? [...all.slice(0, max - 1), 'unknown'] : all;
}

/** The frame of an element with `look` inside `parent`: what it inherits, and whether its text shows. */
function frameOf(name: string, look: Look, parent: Frame): Frame {
  const { fontSizes: sizes, sure, inherits } = look;
  // The parent's size, colour and background stay possible unless a source sure to apply sets them.
  const tiny = sizes.includes('tiny') || ((!sure.size || sizes.includes('relative')) && parent.tiny);
  const colors = sure.color && !inherits.color ? look.colors : layers(look.colors, parent.colors, MAX_LAYERS);
  // A background not quite opaque lets the parent's show through: both count.
  const own = look.backgrounds.filter((b) => b === 'unknown' || b === CURRENT || b.a >= 0.1);
  const seeThrough =
    own.length === 0 ||
    !sure.background ||
    inherits.background ||
    look.backgrounds.some((b) => b !== 'unknown' && b !== CURRENT && b.a < 1);
  const backgrounds = seeThrough ? layers(own, parent.backgrounds, MAX_LAYERS) : own;
  const unseen = colors.some((c) =>
    backgrounds.some(
      (b) => c === 'unknown' || b === 'unknown' || b === CURRENT || c === CURRENT || unreadable(c, b),
    ),
  );
  // Unlike display:none, visibility is inherited and a child may set it back to visible.
  const invisible = look.invisible || (parent.invisible && (!look.visible || inherits.visibility));
  return {
    name,
    hidden: look.hides,
    invisible,
    tiny,
    colors,
    backgrounds,
    cloaked: look.hides || invisible || tiny || unseen,
  };
}

/** Text with blank-line and space collapsing, quoted lines prefixed with "> " (as html-to-text did). */
class Writer {
  readonly #parts: string[] = [];
  #breaks = 0;
  #space = false;
  #lineStart = true;

  brk(count: number, add = false): void {
    if (this.#parts.length === 0) return;
    this.#breaks = Math.min(2, add ? this.#breaks + count : Math.max(this.#breaks, count));
  }

  text(text: string, quoted: boolean, pre: boolean): void {
    if (pre) {
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (i > 0) this.brk(1, true);
        if (line) this.#put(line, quoted);
      });
      return;
    }
    const collapsed = text.replace(/[ \t\n\r\f]+/g, ' ');
    if (collapsed.trim() === '') {
      if (collapsed) this.#space = true;
      return;
    }
    if (collapsed.startsWith(' ')) this.#space = true;
    this.#put(collapsed.trim(), quoted);
    this.#space = collapsed.endsWith(' ');
  }

  #put(chunk: string, quoted: boolean): void {
    if (this.#breaks > 0) {
      this.#parts.push('\n'.repeat(this.#breaks));
      this.#lineStart = true;
    }
    if (this.#lineStart && quoted) this.#parts.push('> ');
    else if (this.#space && !this.#lineStart) this.#parts.push(' ');
    this.#parts.push(chunk);
    this.#breaks = 0;
    this.#space = false;
    this.#lineStart = false;
  }

  result(): string {
    return this.#parts.join('');
  }
}

interface Root {
  name: string;
  attrs: ReadonlyMap<string, string>;
}

/** The page's own look: every `<html>` and `<body>` tag's (a later one adds its attributes to the first). */
async function firstPass(html: string): Promise<{ css: string; remote: boolean; roots: Root[] }> {
  let css = '';
  let inStyle = false;
  let remote = false;
  const roots: Root[] = [];
  const handler: HtmlHandler = {
    open(name, attrs) {
      if (name === 'style') inStyle = true;
      else if (name === 'link' && /\bstylesheet\b/i.test(attrs.get('rel') ?? '')) remote = true;
      else if ((name === 'html' || name === 'body') && roots.length < 64)
        roots.push({ name, attrs: new Map(attrs) });
    },
    close(name) {
      if (name === 'style') inStyle = false;
    },
    text(text) {
      if (inStyle) css += text;
    },
  };
  await scanHtmlAsync(html, handler, { wantedAttributes: WANTED });
  return { css, remote, roots };
}

/** The text of `html` a reader of the mail sees. */
export async function visibleText(mailHtml: string): Promise<string> {
  // Outside SVG and MathML a browser reads `<![CDATA[` as a comment ending at the first `>`, and
  // htmlparser2 as CDATA ending at `]]>`: what lies between would be tags only the browser saw.
  const html = mailHtml.replace(/<!\[CDATA\[/gi, '<!CDATA[');
  const first = await firstPass(html);
  const styles = indexStyles(first.css);
  if (first.remote || styles.remote) return HIDDEN_ALL_LINE;
  const rootLook = emptyLook();
  for (const { name, attrs } of [
    ...first.roots,
    { name: 'html', attrs: new Map() },
    { name: 'body', attrs: new Map() },
  ])
    mergeLook(rootLook, lookOf(name, attrs, styles.index));
  if (rootLook.hides) return HIDDEN_ALL_LINE;
  const page: Frame = {
    name: '',
    hidden: false,
    invisible: false,
    tiny: false,
    colors: [BLACK],
    backgrounds: [WHITE],
    cloaked: false,
  };
  const root = frameOf('body', rootLook, page);

  const stack: Frame[] = [];
  const open = new Map<string, number>();
  let hidden = 0;
  let cloaked = 0;
  let quotes = 0;
  let pre = 0;
  let lost = false;
  /** Some text was there but hidden: a mail showing nothing says so, rather than being blank. */
  let withheld = false;
  const writer = new Writer();
  const pop = () => {
    const frame = stack.pop()!;
    open.set(frame.name, open.get(frame.name)! - 1);
    if (frame.hidden) hidden--;
    if (frame.cloaked) cloaked--;
    if (frame.name === 'blockquote') quotes--;
    if (PREFORMATTED.has(frame.name)) pre--;
  };
  const layout = (name: string) => {
    if (name === 'br') writer.brk(1, true);
    else if (PARAGRAPH.has(name)) writer.brk(2);
    else if (BLOCK.has(name)) writer.brk(1);
    else if (name === 'td' || name === 'th') writer.text(' ', false, false);
  };
  const handler: HtmlHandler = {
    open(name, attrs) {
      if (lost || name === 'html' || name === 'body') return;
      if (FOREIGN.has(name)) {
        lost = true;
        return;
      }
      layout(name);
      if (VOID.has(name)) return;
      const parent = stack.at(-1) ?? root;
      const look = lookOf(name, attrs, styles.index);
      if (parent.folded) {
        if (name === 'summary' && !parent.folded.summary) parent.folded.summary = true;
        else look.hides = true;
      }
      const frame = frameOf(name, look, parent);
      if (name === 'details' && !attrs.has('open')) {
        // Closed, it shows its first summary child and nothing else: its own text is not shown.
        frame.folded = { summary: false };
        frame.cloaked = true;
      }
      stack.push(frame);
      open.set(name, (open.get(name) ?? 0) + 1);
      if (frame.hidden) hidden++;
      if (frame.cloaked) cloaked++;
      if (name === 'blockquote') quotes++;
      if (PREFORMATTED.has(name)) pre++;
    },
    close(name) {
      if (lost || name === 'html' || name === 'body') return;
      if (name === 'br') layout(name);
      if (VOID.has(name) || !open.get(name)) return;
      if (stack.at(-1)!.name !== name) {
        // Broken nesting: harmless outside hidden text, unplaceable inside it.
        if (cloaked > 0) {
          lost = true;
          return;
        }
        while (stack.at(-1)!.name !== name) pop();
      }
      pop();
      layout(name);
    },
    text(text) {
      if (lost) return;
      if (hidden > 0 || (stack.at(-1) ?? root).cloaked) {
        withheld ||= /\S/.test(text);
        return;
      }
      writer.text(text, quotes > 0, pre > 0);
    },
  };
  await scanHtmlAsync(html, handler, { wantedAttributes: WANTED });
  const text = writer.result();
  // A page invisible whole (a child made visible again aside) shows nothing to read.
  if (text === '' && root.invisible) return HIDDEN_ALL_LINE;
  if (text === '' && withheld) return HIDDEN_TEXT_LINE;
  if (!lost) return text;
  return text ? `${text}\n\n${HIDDEN_REST_LINE}` : HIDDEN_REST_LINE;
}
