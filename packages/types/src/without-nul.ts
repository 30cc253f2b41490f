/**
 * U+0000 (NUL) in text the stores keep as text or search for. PostgreSQL's text type cannot
 * hold it (SQLSTATE 22021, "invalid byte sequence"), SQLite's can: a note, a tag, a session
 * search, a schedule's prompt or a conversation's indexed text holding one failed on PostgreSQL
 * alone, and a conversation's chunk with one was retried at every later turn, so nothing said
 * after it was indexed. NUL means nothing in text a person or a model writes, so the checks of
 * such input drop it, before any store sees the text, and both stores keep the same thing.
 * (Text stored as JSON needs nothing: JSON writes it as the six characters \u0000.)
 */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
