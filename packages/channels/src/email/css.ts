/**
 * What CSS does to an element's text that a reader of the mail would not see: hide it
 * (display:none, opacity 0, zero size, off-screen, clipped, mso-hide), make it invisible
 * (visibility:hidden, which a descendant's visibility:visible undoes), shrink it to nothing
 * (font-size 0), or draw it in its background's colour. Read from inline `style` attributes and
 * from the mail's `<style>` blocks.
 *
 * Every doubt counts as hidden: a value not understood (`var(--x)`, `calc()`), a rule whose
 * selector is only partly read (it is matched by one class, id or tag of its last compound and
 * the rest is ignored, so it matches more elements than the browser would, never fewer), every
 * `@media` branch at once, and for colours every colour any rule gives, against every background.
 * So a rule that may match more than the browser would may hide, never show: its size, colour,
 * background or visibility:visible replace the parent's only when it surely applies (`sure`).
 * Text a reader would see may be left out; text hidden from them does not reach the prompt.
 * Each step is linear in the CSS read: no selector is matched against a tree.
 */
import { CURRENT, colorIn, parseColor, type Rgba } from './css-colors.js';

/** A colour a rule gives, or one that could not be read (counted as any colour). */
export type Color = Rgba | typeof CURRENT | 'unknown';
/** What a font-size says: nothing readable, a size that is, or a multiple of the parent's. */
type FontSize = 'tiny' | 'normal' | 'relative';

/** What the rules matching an element say about its text. */
export interface Look {
  /** The element and everything inside it are not shown. */
  hides: boolean;
  /** visibility:hidden (or collapse, or not understood): inherited, unlike `hides`. */
  invisible: boolean;
  /** visibility:visible: shows what an invisible parent hid (only from a source that surely applies). */
  visible: boolean;
  fontSizes: FontSize[];
  colors: Color[];
  backgrounds: Color[];
  /**
   * A size, colour or background set by a source that surely applies to the element: its style
   * attribute, or a rule whose selector is read whole. Otherwise the parent's may still apply.
   */
  sure: { size: boolean; color: boolean; background: boolean };
  /** A source lets the parent's colour, background or visibility through (inherit, unset, revert). */
  inherits: { color: boolean; background: boolean; visibility: boolean };
}

/** Colours kept per element and rule key: more count as one that could not be read. */
const MAX_COLORS = 8;

export const emptyLook = (): Look => ({
  hides: false,
  invisible: false,
  visible: false,
  fontSizes: [],
  colors: [],
  backgrounds: [],
  sure: { size: false, color: false, background: false },
  inherits: { color: false, background: false, visibility: false },
});

function addColor(list: Color[], color: Color): void {
  if (list.length >= MAX_COLORS) list[MAX_COLORS - 1] = 'unknown';
  else list.push(color);
}

/** Adds `from` to `into` (the union of both: either may be the one the browser applies). */
export function mergeLook(into: Look, from: Look): void {
  into.hides ||= from.hides;
  into.invisible ||= from.invisible;
  into.visible ||= from.visible;
  into.sure.size ||= from.sure.size;
  into.sure.color ||= from.sure.color;
  into.sure.background ||= from.sure.background;
  into.inherits.color ||= from.inherits.color;
  into.inherits.background ||= from.inherits.background;
  into.inherits.visibility ||= from.inherits.visibility;
  for (const size of from.fontSizes) if (!into.fontSizes.includes(size)) into.fontSizes.push(size);
  for (const color of from.colors) addColor(into.colors, color);
  for (const color of from.backgrounds) addColor(into.backgrounds, color);
}

/** CSS escapes (`\64 isplay`, `\:`) as the characters they stand for. */
function cssUnescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|([^\n\r\f]))/g, (_, hex: string, char: string) => {
    if (hex === undefined) return char;
    const code = Number.parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

/**
 * CSS text split at `{`, `}` and `;` outside strings, parentheses and escapes, comments dropped:
 * `onPiece(text, end)` gets each piece and the character that ended it ('' at the end).
 */
function splitCss(css: string, onPiece: (text: string, end: string) => void): void {
  let piece = '';
  let depth = 0;
  for (let i = 0; i < css.length; i++) {
    const c = css[i]!;
    if (c === '\\') {
      piece += css.slice(i, i + 2);
      i++;
    } else if (c === '/' && css[i + 1] === '*') {
      const end = css.indexOf('*/', i + 2);
      i = end < 0 ? css.length : end + 1;
      piece += ' ';
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < css.length && css[j] !== c && css[j] !== '\n') j += css[j] === '\\' ? 2 : 1;
      piece += css.slice(i, j + 1);
      i = j;
    } else if (c === '(') {
      depth++;
      piece += c;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
      piece += c;
    } else if (depth === 0 && (c === '{' || c === '}' || c === ';')) {
      onPiece(piece, c);
      piece = '';
    } else piece += c;
  }
  onPiece(piece, '');
}

/** A length's number and unit (`-9999px` → [-9999, 'px']), or undefined. */
function length(value: string): [number, string] | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([a-z%]*)$/.exec(value);
  return match ? [Number.parseFloat(match[1]!), match[2]!] : undefined;
}

/** Values CSS computes later (custom properties, math): undecidable here. */
const COMPUTED = /\b(?:var|calc|env|attr|min|max|clamp)\(/;

/** Whether a length is (nearly) nothing: a zero or sub-2px width, height or font size. */
function tinyLength(value: string): boolean {
  const parsed = length(value);
  if (!parsed) return COMPUTED.test(value);
  const [n, unit] = parsed;
  if (n <= 0) return true;
  if (unit === 'px') return n < 2;
  if (unit === 'pt') return n < 1.5;
  if (unit === '%') return n < 15;
  return ['em', 'rem', 'ex', 'ch', 'vw', 'vh', 'vmin', 'vmax', 'mm', 'q'].includes(unit) && n < 0.15;
}

/** Whether an offset moves the text out of sight (`-9999px`, `200em`). */
function farLength(value: string): boolean {
  for (const word of value.split(/\s+/)) {
    const parsed = length(word);
    if (!parsed) {
      if (COMPUTED.test(word)) return true;
      continue;
    }
    const [n, unit] = parsed;
    const px = unit === 'px' || unit === '' ? n : ['em', 'rem', 'ex', 'ch'].includes(unit) ? n * 16 : n * 10;
    if (Math.abs(px) >= 1000) return true;
  }
  return false;
}

function fontSize(value: string): FontSize {
  if (COMPUTED.test(value)) return 'tiny';
  if (/^(?:inherit|unset|revert|revert-layer|smaller|larger)$/.test(value)) return 'relative';
  const parsed = length(value);
  if (!parsed) return 'normal'; // keywords: xx-small and up, or initial (medium)
  if (tinyLength(value)) return 'tiny';
  return ['em', '%', 'ex', 'ch', 'cap', 'ic', 'lh'].includes(parsed[1]) ? 'relative' : 'normal';
}

/** The size in a `font` shorthand (`bold 0/0 a`, `12px Arial`): a length with a unit, or 0. */
function fontShorthandSize(value: string): FontSize | undefined {
  if (COMPUTED.test(value)) return 'tiny';
  for (const word of value.split(/\s+/)) {
    const size = word.split('/')[0]!;
    if (length(size) && (size === '0' || /[a-z%]$/.test(size) || word.includes('/'))) return fontSize(size);
  }
  return undefined;
}

function colorOf(value: string, shorthand: boolean): Color | 'inherit' | undefined {
  if (/^(?:inherit|unset|revert|revert-layer)$/.test(value)) return 'inherit';
  if (value === 'initial') return shorthand ? undefined : { r: 0, g: 0, b: 0, a: 1 };
  const color = shorthand ? colorIn(value) : parseColor(value);
  if (color !== undefined) return color;
  return shorthand && !COMPUTED.test(value) ? undefined : 'unknown';
}

/** Whether a declaration hides the element's text (and its children's). */
function hidingDeclaration(property: string, value: string): boolean {
  const computed = COMPUTED.test(value);
  switch (property) {
    case 'display':
      return computed || /\bnone\b/.test(value);
    case 'content-visibility':
      return computed || value === 'hidden';
    case 'mso-hide':
      return value === 'all';
    case 'opacity': {
      const parsed = length(value);
      return computed || (parsed !== undefined && (parsed[1] === '%' ? parsed[0] / 100 : parsed[0]) < 0.1);
    }
    case 'zoom':
      return computed || tinyLength(value);
    case 'width':
    case 'height':
    case 'max-width':
    case 'max-height':
      return tinyLength(value);
    case 'left':
    case 'right':
    case 'top':
    case 'bottom':
    case 'margin':
    case 'margin-left':
    case 'margin-right':
    case 'margin-top':
    case 'text-indent':
    case 'inset':
      return farLength(value);
    case 'transform':
      return (
        computed || /\bscale[xyz3d]*\(\s*[+-]?0*\.?0/.test(value) || farLength(value.replace(/[(),]/g, ' '))
      );
    case 'clip':
    case 'clip-path':
    case 'filter':
    case 'animation':
    case 'animation-name':
    case 'mask':
    case 'mask-image':
      return !/^(?:none|auto|initial|unset)$/.test(value);
    case 'z-index':
      return computed || value.startsWith('-');
    default:
      return false;
  }
}

/** Adds one declaration (`property: value`, lower-cased, `!important` dropped) to `look`. */
function addDeclaration(look: Look, declaration: string): void {
  const colon = declaration.indexOf(':');
  if (colon < 0) return;
  const property = cssUnescape(declaration.slice(0, colon)).trim().toLowerCase();
  const value = cssUnescape(declaration.slice(colon + 1))
    .replace(/!\s*important\s*$/i, '')
    .trim()
    .toLowerCase();
  if (hidingDeclaration(property, value)) look.hides = true;
  else if (property === 'visibility') {
    // visible or initial shows; inherit, unset and revert keep the parent's; anything else hides.
    if (/^(?:visible|initial)$/.test(value)) look.visible = true;
    else if (/^(?:inherit|unset|revert|revert-layer)$/.test(value)) look.inherits.visibility = true;
    else look.invisible = true;
  } else if (property === 'font-size' || property === 'font') {
    const size = property === 'font' ? fontShorthandSize(value) : fontSize(value);
    if (size && !look.fontSizes.includes(size)) look.fontSizes.push(size);
    if (size && size !== 'relative') look.sure.size = true;
  } else if (property === 'color' || property === '-webkit-text-fill-color') {
    const color = colorOf(value, false);
    // currentColor as the text's colour is the inherited one, as inherit is.
    if (color === 'inherit' || color === CURRENT) look.inherits.color = true;
    else if (color !== undefined) {
      addColor(look.colors, color);
      look.sure.color = true;
    }
  } else if (property === 'background-color' || property === 'background') {
    const color = colorOf(value, property === 'background');
    if (color === 'inherit') look.inherits.background = true;
    else if (color !== undefined) {
      addColor(look.backgrounds, color);
      look.sure.background = true;
    }
  }
}

/** An inline `style` attribute's look. */
export function styleLook(style: string): Look {
  const look = emptyLook();
  splitCss(style, (piece) => addDeclaration(look, piece));
  return look;
}

/** The mail's `<style>` rules, each filed under one key of its selector: '*', 'tag:p', 'class:x', 'id:y'. */
export type StyleIndex = ReadonlyMap<string, Look>;

/** Pseudo-classes only the reader's pointer or keyboard turns on: their rules do not apply at rest. */
const INTERACTIVE = /:(?:hover|focus|focus-within|focus-visible|active|visited)\b/;
/** Pseudo-elements whose rules style no text of the element's own (selection, generated content). */
const NOT_TEXT =
  /::?(?:before|after|selection|-moz-selection|placeholder|marker|backdrop|file-selector-button)\b/;

/**
 * A selector of one tag, class or id (or `*`): matched whole by the key it is filed under. A
 * class or id in capitals is not: keys are lower-cased, and a browser may match them by case.
 */
function wholeSelector(selector: string): boolean {
  if (/^(?:[a-zA-Z][a-zA-Z0-9-]*|\*)$/.test(selector)) return true;
  return /^[.#][^\s.#:>+~()[\],*|]+$/.test(selector) && selector === selector.toLowerCase();
}

function saysNothing(look: Look): boolean {
  const { inherits } = look;
  return (
    !look.hides &&
    !look.invisible &&
    !look.visible &&
    look.fontSizes.length + look.colors.length + look.backgrounds.length === 0 &&
    !inherits.color &&
    !inherits.background &&
    !inherits.visibility
  );
}

/** The key a selector's rule is filed under, or undefined when it styles none of the text. */
function selectorKey(selector: string): string | undefined {
  // Drop what is inside () and []: `:not(.x)` must not read as `.x` (it matches the others).
  let flat = '';
  let depth = 0;
  for (const c of selector) {
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0) flat += c;
  }
  const subject =
    flat
      .trim()
      .split(/[\s>+~]+/)
      .at(-1) ?? '';
  if (INTERACTIVE.test(subject) || NOT_TEXT.test(subject)) return undefined;
  const id = /#([^\s.#:>+~]+)/.exec(subject);
  if (id) return `id:${id[1]!.toLowerCase()}`;
  const name = /\.([^\s.#:>+~]+)/.exec(subject);
  if (name) return `class:${name[1]!.toLowerCase()}`;
  const tag = /^([a-z][a-z0-9-]*)/i.exec(subject.replace(/^&/, ''));
  return tag ? `tag:${tag[1]!.toLowerCase()}` : '*';
}

/**
 * The rules of the mail's style sheets, nested ones (`@media`, `@supports`, CSS nesting)
 * included, whatever their condition. `remote` is set by an `@import`: a sheet not fetched
 * could hide any text.
 */
export function indexStyles(css: string): { index: StyleIndex; remote: boolean } {
  const index = new Map<string, Look>();
  const frames: Array<{ prelude: string; look: Look }> = [];
  let remote = false;
  const file = ({ prelude, look }: { prelude: string; look: Look }, nested: boolean) => {
    if (prelude.startsWith('@') || saysNothing(look)) return;
    for (const selector of splitSelectors(prelude)) {
      const key = selectorKey(selector);
      if (key === undefined) continue;
      const filed = index.get(key) ?? emptyLook();
      // Only a rule outside @media and nesting, of one tag, class or id, surely applies to every
      // element filed under its key: another may not, so it may hide text but never show it.
      if (!nested && wholeSelector(selector.trim())) mergeLook(filed, look);
      else
        mergeLook(filed, { ...look, visible: false, sure: { size: false, color: false, background: false } });
      index.set(key, filed);
    }
  };
  splitCss(css, (piece, end) => {
    if (end === '{') {
      frames.push({ prelude: cssUnescape(piece).trim(), look: emptyLook() });
      return;
    }
    const frame = frames.at(-1);
    if (frame) addDeclaration(frame.look, piece);
    else if (/^\s*@import\b/i.test(piece)) remote = true;
    if (end === '}' && frame) file(frames.pop()!, frames.length > 0);
  });
  // A sheet ends its open blocks (the browser closes them at the end of the sheet).
  for (let frame = frames.pop(); frame; frame = frames.pop()) file(frame, frames.length > 0);
  return { index, remote };
}

/** A selector list split at its top-level commas. */
function splitSelectors(prelude: string): string[] {
  const selectors: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < prelude.length; i++) {
    const c = prelude[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      selectors.push(prelude.slice(start, i));
      start = i + 1;
    }
  }
  selectors.push(prelude.slice(start));
  return selectors;
}
