/**
 * A user token has at most MAX_FEEDS_PER_USER_TOKEN live feeds (/api/v1/events) open: the next
 * is refused (429) while another user's still opens, and closing one makes room. Before, there
 * was no cap: one user could open feeds without end, each a subscription every event of theirs is
 * rendered and written to.
 */

import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { MAX_FEEDS_PER_USER_TOKEN } from '../src/api/routes/events.js';
import { gatewayForAliceAndBob, jsonOf } from './helpers.js';

const users = gatewayForAliceAndBob();

/** Opens a feed; a 200's body reader, else the refusal. */
async function feed(token: string): Promise<{ response: Response; reader?: ReadableStreamDefaultReader }> {
  const response = await fetch(`${users.env.gateway.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) return { response };
  const reader = response.body!.getReader();
  await reader.read(); // ": connected"
  return { response, reader };
}

describe("a user token's live feeds", () => {
  it('are capped for that token only, and a closed one makes room', async () => {
    const open = [];
    for (let i = 0; i < MAX_FEEDS_PER_USER_TOKEN; i++) open.push(await feed(users.alice));
    expect(open.every((one) => one.response.status === 200)).toBe(true);

    const refused = await feed(users.alice);
    expect(refused.response.status).toBe(429);
    expect((await jsonOf(refused.response)).error.message).toContain('too many live feeds');
    const other = await feed(users.bob);
    expect(other.response.status).toBe(200);
    await other.reader!.cancel();

    await open[0]!.reader!.cancel();
    // The server sees the cancelled stream close a moment later: ask until it has.
    const again = await pollUntil(
      async () => {
        const attempt = await feed(users.alice);
        if (attempt.response.status !== 429) return attempt;
        await jsonOf(attempt.response);
        return undefined;
      },
      'the cancelled feed to free its place (a new one not refused with 429)',
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    expect(again.response.status).toBe(200);
    for (const one of [...open.slice(1), again]) await one.reader!.cancel();
  });
});
