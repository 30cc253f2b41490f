/**
 * Downloading a file a person sent to Slack (its url_private_download), with the bot token: only
 * from the hosts allowed (Slack's), following no redirect (one could carry the token elsewhere),
 * and reading no more than `maxBytes` (a larger file is refused without reading the rest).
 */
import { ChannelRetryableError } from '@oxydra/types';
import { byStatus, retryAfterMs, type Scrub } from '../platform-errors.js';
import { readBounded } from '../read-bounded.js';

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
  return readBounded(response, o.maxBytes, (declared) =>
    declared !== undefined
      ? new Error(`file ${o.id} is ${declared} bytes, over the limit of ${o.maxBytes}`)
      : new Error(`file ${o.id} is over the limit of ${o.maxBytes} bytes`),
  );
}
