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
/** The From line of a forwarded or quoted header block. */
const FROM_LINE = [/^Von: |^De : /, new RegExp(`^(?:${FROM_LABELS}) ?[:：].*@`)];
const CUT = [
  /^-{2,}\s*Original Message\s*-{2,}$/i,
  /^_{10,}$/,
  /^-- ?$/, // the signature delimiter
  ...FROM_LINE,
];
const WROTE = /^On .{1,300}wrote:$/;
/**
 * The lines a header block may hold above its From: Thunderbird writes Subject and Date first
 * ("-------- Forwarded Message --------", "Subject: ...", "Date: ...", "From: ..."), Apple Mail
 * "Begin forwarded message:", in the user's language ("Betreff:", "Sujet :", "件名:"). Cut at the
 * From alone, the forwarded mail's subject stayed in the prompt as the sender's own words.
 */
const HEADER_LINE = /^\p{L}[\p{L}\p{M} .'-]{0,39} ?[:：](?:\s|$)/u;
const SEPARATOR_LINE = /^(?:-{2,}.{0,80}-{2,}|_{10,}|\*{2,}.{0,80}\*{2,})$/;
/** At most this many header lines above the From are cut with it. */
const MAX_HEADER_LINES = 8;

/** Drops from `kept` the header lines (and a separator above them) that began a From's block. */
function dropHeaderAbove(kept: string[]): void {
  for (let n = 0; n < MAX_HEADER_LINES && HEADER_LINE.test(kept.at(-1)?.trim() ?? ''); n++) kept.pop();
  let above = kept.length - 1;
  while (above >= 0 && kept.length - above <= 2 && kept[above]!.trim() === '') above--;
  if (SEPARATOR_LINE.test(kept[above]?.trim() ?? '')) kept.length = above;
}

export function withoutQuotes(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    const trimmed = line.trim();
    if (CUT.some((pattern) => pattern.test(trimmed))) {
      if (FROM_LINE.some((pattern) => pattern.test(trimmed))) dropHeaderAbove(kept);
      break;
    }
    if (WROTE.test(trimmed)) break;
    if (/^On /.test(trimmed) && WROTE.test(`${trimmed} ${lines[i + 1]?.trim() ?? ''}`)) break;
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}
