/**
 * Long texts in pages of whole lines, so a skill's body or file fits the 16 KiB a tool result
 * may carry; the page says how to ask for the next one, as file_read does.
 */
const PAGE_BYTES = 12_000;

export interface Page {
  text: string;
  /** The line to ask for next; undefined on the last page. */
  next?: number;
  first: number;
  last: number;
  total: number;
}

export function pageOf(text: string, offset = 1): Page {
  const lines = text.split('\n');
  const total = lines.length;
  const first = Math.min(Math.max(1, offset), total);
  const taken: string[] = [];
  let bytes = 0;
  for (let index = first - 1; index < total; index++) {
    const line = lines[index]!;
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (taken.length > 0 && bytes + size > PAGE_BYTES) break;
    // One line longer than a page is cut: nothing is lost that the model needs more than the rest.
    taken.push(size > PAGE_BYTES ? `${line.slice(0, PAGE_BYTES / 4)} [line cut]` : line);
    bytes += size;
  }
  const last = first + taken.length - 1;
  const page: Page = { text: taken.join('\n'), first, last, total };
  if (last < total) page.next = last + 1;
  return page;
}
