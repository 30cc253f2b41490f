/**
 * Slack's request signing (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * `x-slack-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing
 * secret>` and `x-slack-request-timestamp: <unix seconds>`. The fake signs the Events API and
 * interactivity requests it POSTs to an app this way; a test forges or ages one with the options.
 */
import { createHmac } from 'node:crypto';

export interface SignedPostOptions {
  /** Default: now. An old one must be refused (Slack's replay window is 5 minutes). */
  timestampSecs?: number;
  /** Sign with this secret instead (a forgery). */
  secret?: string;
  /** Slack's retry headers, for a redelivery. */
  retryNum?: number;
  signal?: AbortSignal;
}

export function slackSignature(secret: string, timestampSecs: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSecs}:${rawBody}`).digest('hex')}`;
}

/**
 * POSTs `body` as Slack does: an Events API payload as JSON, an interaction (`block_actions`...)
 * as the form field `payload`, a slash command as form fields. Resolves with the app's response.
 */
export async function postSignedToApp(
  url: string,
  secret: string,
  body: Record<string, unknown>,
  options: SignedPostOptions = {},
): Promise<Response> {
  const interaction = body.type !== 'event_callback' && body.type !== 'url_verification';
  // A slash command is posted as its fields, an interaction as one `payload` field of JSON.
  const form =
    typeof body.command === 'string'
      ? new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]))
      : new URLSearchParams({ payload: JSON.stringify(body) });
  const raw = interaction ? form.toString() : JSON.stringify(body);
  const timestamp = options.timestampSecs ?? Math.floor(Date.now() / 1000);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': interaction ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(options.secret ?? secret, timestamp, raw),
      ...(options.retryNum !== undefined
        ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : {}),
    },
    body: raw,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
