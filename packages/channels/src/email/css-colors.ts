/**
 * CSS colours, for telling text drawn in its background's colour (white on white) from text a
 * reader sees. Only what a mail's HTML can say is read: #hex, rgb()/rgba(), hsl()/hsla(), the
 * named colours, transparent and currentColor. A value not understood is `undefined`: the
 * caller counts it as possibly any colour.
 */

/** Red, green, blue (0-255) and alpha (0-1). */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** The text's own colour, for a background of `currentColor` (always invisible text). */
export const CURRENT = 'current';

const NAMED_SOURCE =
  'aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc ' +
  'bisque:ffe4c4 black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a ' +
  'burlywood:deb887 cadetblue:5f9ea0 chartreuse:7fff00 chocolate:d2691e coral:ff7f50 ' +
  'cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff darkblue:00008b ' +
  'darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgreen:006400 darkgrey:a9a9a9 ' +
  'darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 ' +
  'darkorchid:9932cc darkred:8b0000 darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b ' +
  'darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 ' +
  'deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff ' +
  'firebrick:b22222 floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ' +
  'ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 green:008000 greenyellow:adff2f ' +
  'grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ivory:fffff0 ' +
  'khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd ' +
  'lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2 ' +
  'lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a ' +
  'lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 ' +
  'lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 ' +
  'magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 ' +
  'mediumpurple:9370db mediumseagreen:3cb371 mediumslateblue:7b68ee mediumspringgreen:00fa9a ' +
  'mediumturquoise:48d1cc mediumvioletred:c71585 midnightblue:191970 mintcream:f5fffa ' +
  'mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6 olive:808000 ' +
  'olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa ' +
  'palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 ' +
  'peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 ' +
  'rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513 ' +
  'salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 ' +
  'skyblue:87ceeb slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa ' +
  'springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 ' +
  'turquoise:40e0d0 violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 ' +
  'yellowgreen:9acd32';

const NAMED = new Map(
  NAMED_SOURCE.trim()
    .split(' ')
    .map((entry) => {
      const [name, hex] = entry.split(':') as [string, string];
      return [name, hexColor(hex)!] as const;
    }),
);

function hexColor(hex: string): Rgba | undefined {
  if (!/^[0-9a-f]+$/.test(hex) || ![3, 4, 6, 8].includes(hex.length)) return undefined;
  const full = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex;
  const byte = (i: number) => Number.parseInt(full.slice(i * 2, i * 2 + 2), 16);
  return { r: byte(0), g: byte(1), b: byte(2), a: full.length === 8 ? byte(3) / 255 : 1 };
}

/** A number, or a percentage of `whole`; NaN when neither. */
function component(text: string, whole: number): number {
  const value = Number.parseFloat(text);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?%?$/.test(text)) return Number.NaN;
  return text.endsWith('%') ? (value / 100) * whole : value;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const f = (n: number) => l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

function functional(name: string, args: string): Rgba | undefined {
  const parts = args.split(/[\s,/]+/).filter(Boolean);
  if (parts.length < 3 || parts.length > 4) return undefined;
  const alpha = parts[3] === undefined ? 1 : component(parts[3], 1);
  let rgb: number[];
  if (name.startsWith('rgb')) rgb = parts.slice(0, 3).map((p) => component(p, 255));
  else {
    const hue = Number.parseFloat(parts[0]!);
    rgb = hslToRgb(((hue % 360) + 360) % 360, component(parts[1]!, 1), component(parts[2]!, 1));
  }
  if ([...rgb, alpha].some((n) => Number.isNaN(n))) return undefined;
  const clamp = (n: number, max: number) => Math.min(max, Math.max(0, n));
  return { r: clamp(rgb[0]!, 255), g: clamp(rgb[1]!, 255), b: clamp(rgb[2]!, 255), a: clamp(alpha, 1) };
}

/** A lower-cased CSS colour value; `CURRENT` for currentColor; undefined if not understood. */
export function parseColor(value: string): Rgba | typeof CURRENT | undefined {
  const text = value.trim();
  if (text === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
  if (text === 'currentcolor') return CURRENT;
  if (text.startsWith('#')) return hexColor(text.slice(1));
  const call = /^(rgba?|hsla?)\(([^()]*)\)$/.exec(text);
  if (call) return functional(call[1]!, call[2]!);
  return NAMED.get(text);
}

/** The first colour among a shorthand's words (`background: #fff url(x) no-repeat`). */
export function colorIn(value: string): Rgba | typeof CURRENT | undefined {
  for (const word of value.match(/#[0-9a-f]+|(?:rgba?|hsla?)\([^()]*\)|[a-z]+/g) ?? []) {
    const color = parseColor(word);
    if (color !== undefined) return color;
  }
  return undefined;
}

function luminance({ r, g, b }: Rgba): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/**
 * Whether text of colour `text` is unreadable on `background`: (nearly) transparent, or, as
 * drawn on it, a WCAG contrast ratio under 1.3 (#eeeeee on white is 1.16; the lightest grey
 * mail programs use for footers, #999999, is 2.85).
 */
export function unreadable(text: Rgba, background: Rgba): boolean {
  if (text.a < 0.1) return true;
  // Translucent text is drawn mixed with what is behind it (10% black on white is a pale grey).
  const mix = (c: number, b: number) => c * text.a + b * (1 - text.a);
  const drawn = {
    r: mix(text.r, background.r),
    g: mix(text.g, background.g),
    b: mix(text.b, background.b),
    a: 1,
  };
  const [light, dark] = [luminance(drawn), luminance(background)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05) < 1.3;
}
