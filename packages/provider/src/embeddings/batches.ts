/**
 * Texts → request-sized batches, in order. APIs cap both the number of inputs per request
 * (OpenAI 2048, Gemini 100) and the total size (OpenAI: 300k tokens); characters stand in for
 * tokens at a safe ratio, since counting tokens here would need each model's tokenizer.
 */
export function batches(texts: readonly string[], maxItems: number, maxChars: number): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of texts) {
    if (current.length > 0 && (current.length >= maxItems || chars + text.length > maxChars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** APIs reject empty inputs; a space embeds as "nothing" just as well. */
export function nonEmpty(text: string): string {
  return text === '' ? ' ' : text;
}
