/**
 * The new text of a reply: what the person wrote, without the quoted mail below it or their
 * signature. Mail clients quote in a few well-known shapes: lines starting with ">", an
 * "On <date>, <name> wrote:" line (sometimes wrapped over two lines), Outlook's "-----Original
 * Message-----" or a line of underscores, and "-- " before a signature.
 */
const CUT = [
  /^-{2,}\s*Original Message\s*-{2,}$/i,
  /^_{10,}$/,
  /^-- ?$/, // the signature delimiter
  /^Von: |^De : |^From: .+@/, // a forwarded or quoted header block
];
const WROTE = /^On .{1,300}wrote:$/;

export function withoutQuotes(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const trimmed = line.trim();
    if (CUT.some((pattern) => pattern.test(trimmed))) break;
    if (WROTE.test(trimmed)) break;
    if (/^On /.test(trimmed) && WROTE.test(`${trimmed} ${lines[i + 1]?.trim() ?? ''}`)) break;
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}
