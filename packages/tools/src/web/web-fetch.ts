/** web_fetch's code (its definition is in core/catalog.ts): the response, decoded and simplified. */
import { shownUrl, showUntrusted } from '@oxydra/types';
import type { WebFetchArgs } from '../core/parameters.js';
import type { ToolRun } from '../define.js';
import type { SafeFetch, SafeResponse } from './safe-fetch.js';

const TEXTUAL =
  /^(text\/|application\/(json|xml|javascript|ecmascript|x-javascript|ld\+json|rss\+xml|atom\+xml|x-yaml|yaml|toml)|[^;]*\+(json|xml))/;

type Kind = 'html' | 'text' | 'binary';

/** A media type's syntax (RFC 9110 tokens), short: a server's header says no more than this. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;

const mediaTypeOf = (response: SafeResponse): string =>
  response.contentType.split(';')[0]?.trim().toLowerCase() ?? '';

function kindOf(response: SafeResponse): Kind {
  const type = mediaTypeOf(response);
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (TEXTUAL.test(type)) return 'text';
  if (type !== '') return 'binary';
  // No content type: sniff. NUL bytes mean binary; a leading tag means HTML.
  const head = response.body.subarray(0, 1024);
  if (head.includes(0)) return 'binary';
  return /^\s*<(!doctype html|html|head|body)/i.test(head.toString('utf8')) ? 'html' : 'text';
}

function decode(response: SafeResponse): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(response.contentType)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(response.body);
  } catch {
    return new TextDecoder('utf-8').decode(response.body);
  }
}

export function webFetch(fetch: SafeFetch, maxChars: number): ToolRun<WebFetchArgs> {
  return async ({ url }, context) => {
    const response = await fetch(url, { signal: context.signal });
    const kind = kindOf(response);
    if (kind === 'binary') {
      // Only the media type: the header's parameters are the server's free text, and an error
      // is not marked as the page's.
      const type = mediaTypeOf(response);
      throw new Error(
        `${shownUrl(response.url)} is ${MEDIA_TYPE.test(type) ? type : 'of an unrecognised type'} (binary content), which web_fetch cannot show`,
      );
    }
    const raw = decode(response);
    // The HTML reader loads with the first page that needs it.
    const page =
      kind === 'html'
        ? await (await import('./html-to-text.js')).htmlToPageAsync(raw, response.url, context.signal)
        : undefined;
    const title = page?.title;
    let text = page?.text ?? raw;
    const notes: string[] = [];
    if (response.status >= 400) notes.push(`HTTP ${response.status}`);
    if (response.url !== url) notes.push(`redirected to ${shownUrl(response.url)}`);
    if (response.truncated) notes.push('the response was larger than 5 MiB; only its start was downloaded');
    const total = text.length;
    if (total > maxChars) {
      text = text.slice(0, maxChars);
      notes.push(`text cut at ${maxChars} of ${page?.cut ? 'more than ' : ''}${total} characters`);
    }
    // The title is the page's too: it goes below the untrusted line, with the text.
    const shown = title ? `# ${title}\n\n${text}` : text;
    const header = notes.length > 0 ? [`[${notes.join('; ')}]`] : [];
    return {
      content: showUntrusted(header, `the web page ${shownUrl(response.url)}`, shown),
      isError: response.status >= 400,
      data: { url: response.url, status: response.status, contentType: response.contentType, chars: total },
    };
  };
}
