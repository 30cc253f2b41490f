/**
 * The chat-channel chaos test of issue 34 in a CI-sized run: bench/channels-chaos.mjs as a child
 * process, one real `oxydra channels run` answering the testkit's fake Telegram Bot API (long
 * polling), then its fake Slack (Socket Mode), and the mock model, 20 allowlisted senders (each a
 * direct chat) sending 2 messages each over 6 s while the process is SIGKILLed at least twice and
 * started again. Counted on the fake's side, its JSON's invariants must all hold: every message
 * got its answer or the "stopped while answering" note (none lost), no answer or note sent twice
 * (beyond the documented gap of a post without an idempotency key, counted apart), nothing in a
 * wrong chat, the model asked each message at most once, nothing else sent, every delivery
 * confirmed (Telegram's offset, Slack's envelope acknowledgements) and the outbox empty at the end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const CHAOS = fileURLToPath(new URL('../../../bench/channels-chaos.mjs', import.meta.url));

interface ChaosResult {
  ok: boolean;
  kills: number;
  /** What is particular to the platform (Slack: its envelopes and their redeliveries). */
  platform: Record<string, number>;
  messages: { sent: number; answered: number; noted_interrupted: number };
  invariants: Record<string, { ok: boolean; [count: string]: unknown }>;
}

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHAOS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The CI-sized run on one platform: its JSON, every invariant held, at least two kills. */
async function chaosOn(platform: 'telegram' | 'slack'): Promise<ChaosResult> {
  const { code, stdout, stderr } = await runChaos([
    '--platform',
    platform,
    '--conversations',
    '20',
    '--messages',
    '2',
    '--seconds',
    '6',
    '--kill-min',
    '2',
    '--kill-max',
    '3',
    '--min-kills',
    '2',
    '--slow-chunk-ms',
    '300',
    '--drain-timeout',
    '60',
    '--quiet',
  ]);
  const start = stdout.indexOf('{');
  expect(
    start,
    `bench/channels-chaos.mjs printed no JSON (exit ${code}): ${stderr.slice(-4000)}`,
  ).toBeGreaterThanOrEqual(0);
  const result = JSON.parse(stdout.slice(start)) as ChaosResult;
  const failed = Object.entries(result.invariants).filter(([, invariant]) => !invariant.ok);
  expect(failed, `${JSON.stringify(failed, null, 2)}\n${stderr.slice(-4000)}`).toEqual([]);
  expect(result.ok).toBe(true);
  expect(code).toBe(0);
  // The run did what it claims: two kills, every message sent, and each answered or noted.
  expect(result.kills).toBeGreaterThanOrEqual(2);
  expect(result.messages.sent).toBe(40);
  expect(result.messages.answered).toBeGreaterThan(0);
  expect(result.messages.answered + result.messages.noted_interrupted).toBeGreaterThanOrEqual(40);
  return result;
}

it('channels run SIGKILLed twice during 20 conversations: every message answered or noted once, none lost, none to a wrong chat', async () => {
  await chaosOn('telegram');
}, 120_000);

it('the same on Slack (Socket Mode): envelopes left unacknowledged by a kill come again, each answered or noted once', async () => {
  const result = await chaosOn('slack');
  // Every message was one envelope, all acknowledged; Slack gave up on none.
  expect(result.platform.envelopes).toBe(40);
  expect(result.platform.envelopes_slack_gave_up_on).toBe(0);
}, 120_000);
