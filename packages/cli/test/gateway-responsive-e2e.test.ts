/**
 * End to end: the real `oxydra gateway` stays responsive while it handles hostile text. A
 * scripted model calls web_fetch on a local page built to freeze a naive HTML converter, then the
 * user sends a 150 KB prompt that is one unbroken word (quadratic in gpt-tokenizer's byte-pair
 * merge). Meanwhile the test polls /healthz back to back: one poll is always in flight, so any
 * freeze of the event loop longer than the poll's deadline shows as an unanswered poll.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { helloClient } from '@oxydra/gateway/testing/hello-client';
import type { GatewayClient } from '@oxydra/gateway-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

/**
 * How long one /healthz poll may take before it counts as unanswered: far above a healthy
 * answer (milliseconds) on a loaded machine, far below the old freezes (minutes to hours for this
 * page, ~20 s for this prompt). It is a deadline, not a speed measurement.
 */
const POLL_DEADLINE_MS = 5_000;

/** Each shape alone froze the old converter for minutes or more (see html-to-text.test.ts). */
const HOSTILE_PAGE =
  `<!doctype html><html><head><title>Hostile</title></head><body><h1>Hostile page</h1>` +
  `${'<tr><td>a<td>b'.repeat(20_000)}` +
  `<pre>${' '.repeat(20_000)}x</pre>${'<p>'.repeat(5_000)}` +
  `${'<div>'.repeat(100_000)}deep${'</span>'.repeat(100_000)}</body></html>`;

const UNBROKEN_WORD = 'a'.repeat(150_000);

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
let client: GatewayClient | undefined;
let page: Server | undefined;
afterEach(async () => {
  client?.close();
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  await env?.close();
  await new Promise((resolve) => (page ? page.close(resolve) : resolve(undefined)));
  client = daemon = env = page = undefined;
});

async function servePage(): Promise<number> {
  page = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HOSTILE_PAGE);
  });
  await new Promise<void>((resolve) => page!.listen(0, '127.0.0.1', resolve));
  return (page.address() as AddressInfo).port;
}

interface Polls {
  answered: number;
  failures: string[];
  stop(): Promise<void>;
}

/** Polls /healthz back to back until stopped. */
function pollHealth(url: string): Polls {
  const polls: Polls = { answered: 0, failures: [], stop: async () => {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(POLL_DEADLINE_MS) });
        await response.text();
        if (response.status === 200) polls.answered++;
        else polls.failures.push(`status ${response.status}`);
      } catch (error) {
        polls.failures.push(error instanceof Error ? error.name : String(error));
      }
    }
  })();
  polls.stop = async () => {
    running = false;
    await loop;
  };
  return polls;
}

describe('oxydra gateway under hostile text', () => {
  it('answers /healthz throughout a web_fetch of a hostile page and a 150 KB one-word prompt', async () => {
    const port = await servePage();
    env = await AgentEnv.start(
      { type: 'openai', api: 'openai-chat' },
      [
        { reply: { toolCalls: [{ name: 'web_fetch', arguments: { url: `http://127.0.0.1:${port}/` } }] } },
        { reply: { text: 'Fetched.' } },
        { reply: { text: 'Counted.' } },
      ],
      `\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${port}"]\n`,
    );
    daemon = await GatewayDaemon.start(env);
    const wsToken = generatedToken(env);
    const hello = await helloClient(daemon.wsUrl, { user_id: 'alice' }, wsToken);
    client = hello.client;
    const session = hello.ack.session;
    const turn = async (turnId: string, prompt: string) => {
      client!.send('send_turn', { session_id: session.session_id, turn_id: turnId, prompt });
      return hello.inbox.take('turn_completed', (frame) => frame.payload.turn.turn_id === turnId, 60_000);
    };

    const polls = pollHealth(daemon.url);
    const fetched = await turn('t1', 'Read the page at the local address.');
    const answeredDuringFetch = polls.answered;
    const counted = await turn('t2', UNBROKEN_WORD);
    await polls.stop();

    expect(fetched.payload.response.message).toBe('Fetched.');
    expect(counted.payload.response.message).toBe('Counted.');
    // The model got the converted page (the tool result) and the whole prompt.
    const toolResult = env.requestText(1);
    expect(toolResult).toContain('# Hostile');
    expect(toolResult).toContain('a | b');
    expect(env.requestText(2)).toContain(UNBROKEN_WORD);
    // Every poll was answered, and polls kept being answered during both turns.
    expect(polls.failures).toEqual([]);
    expect(answeredDuringFetch).toBeGreaterThanOrEqual(3);
    expect(polls.answered - answeredDuringFetch).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
