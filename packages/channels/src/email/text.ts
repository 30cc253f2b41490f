/**
 * The new text of a reply: what the person wrote, without the quoted mail below it or their
 * signature. Mail clients quote in a few well-known shapes: lines starting with ">", an
 * "On <date>, <name> wrote:" line (sometimes wrapped over two lines), Outlook's "-----Original
 * Message-----" or a line of underscores, and "-- " before a signature.
 */
/**
 * The first line of a forwarded or quoted mail's header block, "From: Name <address>", in the
 * languages mail programs write it in. What follows is someone else's mail: left in the prompt,
 * it read as the sender's own words (an operator's, untainted). Gmail writes the label in the
 * user's language ("De:", "Da:", "Van:"), and only English, German and French were known here.
 */
const FROM_LABELS =
  'From|De|Da|Von|Van|Från|Fra|Frá|Od|Nuo|От|Від|Feladó|Kimden|Lähettäjä|Saatja|Mittente|Remitente|Expéditeur|Absender|Αποστολέας|差出人|发件人|寄件者|보낸 사람|من';
const CUT = [
  /^-{2,}\s*Original Message\s*-{2,}$/i,
  /^_{10,}$/,
  /^-- ?$/, // the signature delimiter
  /^Von: |^De : /, // a forwarded or quoted header block
  new RegExp(`^(?:${FROM_LABELS}) ?[:：].*@`),
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
