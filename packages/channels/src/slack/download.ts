/**
 * Downloading a file a person sent to Slack (its url_private_download), with the bot token: only
 * from the hosts allowed (Slack's), following no redirect (one could carry the token elsewhere),
 * and reading no more than `maxBytes` (a larger file is refused without reading the rest).
 */
import { ChannelRetryableError } from '@oxydra/types';
import { byStatus, retryAfterMs, type Scrub } from '../platform-errors.js';

export async function downloadSlackFile(
  url: string,
  o: {
    id: string;
    token: string;
    allowedOrigins: string[];
    maxBytes: number;
    signal: AbortSignal;
    scrub: Scrub;
  },
): Promise<Uint8Array> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new Error(`Slack gave file ${o.id} a download URL that is not a URL`);
  }
  if (!o.allowedOrigins.includes(origin))
    throw new Error(
      `refusing to download file ${o.id} from ${origin}: not a Slack host (${o.allowedOrigins.join(', ')})`,
    );
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${o.token}` },
      redirect: 'error',
      signal: o.signal,
    });
  } catch (error) {
    throw new ChannelRetryableError(o.scrub(`downloading file ${o.id}: ${(error as Error).message}`));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw byStatus(
      response.status,
      `downloading file ${o.id}: HTTP ${response.status}`,
      undefined,
      retryAfterMs(response.headers.get('retry-after')),
    );
  }
  return readBounded(response, o.maxBytes, o.id);
}

/** The body, read only up to `maxBytes`: a larger one is refused without reading the rest. */
async function readBounded(response: Response, maxBytes: number, id: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`file ${id} is ${declared} bytes, over the limit of ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new Error(`file ${id} is over the limit of ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
