#!/usr/bin/env node
// What a chat channel costs (issue 34, "Done when: Measured"): one `oxydra channels run`, the
// real binary, answering the testkit's fake Telegram Bot API with the testkit's mock model, both
// in this process (bench/channels-env.mjs), every chat a private chat of its own allowlisted sender.
//  (a) added latency per message: the fake handing out the update (getUpdates) -> the whole answer
//      arriving at the fake (the sendMessage/editMessageText carrying it), p50/p99, against the
//      same model call made by hand in the same run: the very request the channel's turn sent to
//      the mock (recorded), replayed with fetch and read to the end of its stream. The mock's own
//      time is in both, so the difference is everything the channel adds: the long poll's
//      answer, storing the message, the kernel's turn (session, context, provider adapter), the
//      placeholder and the edits, the outbox. (`oxydra run` as the baseline would add a process
//      start per message, which a running channel never pays.) Two answers: one delta (the
//      first edit shows it whole), and five deltas 20 ms apart (the final edit waits out
//      Telegram's one edit a second per chat, by design). Channel and baseline calls alternate.
//      Also the first answer text shown (the first streamed edit) against the first delta by hand.
//  (b) messages/s one process sustains: --tp-chats chats each sending --tp-per-chat messages at
//      once, answered by a fast mock (one delta); per round the messages over the time from the
//      first sent to the last answer shown; median of --rounds. Each chat answers at most about
//      one message a second (the edit interval), so the ceiling is --tp-chats messages/s.
//  (c) memory per 1,000 idle chats: a fresh process (its allowlist holding every sender from
//      the start), chats that each sent one message and were answered (--wave chats at a time),
//      at each of --idle levels:
//      RSS and V8's heap used after two full GCs (a preload in that process answers SIGUSR2 with
//      gc() and process.memoryUsage()), each the median of 3 readings 1 s apart after 5 s idle; per 1,000 chats from the level
//      before (the first step holds what the first turns load as well).
// The load average is recorded with the figures (other work on the machine skews them).
// Usage: node bench/channels.mjs [--samples 30] [--latency-chats 8] [--tp-chats 200]
//                                [--tp-per-chat 5] [--rounds 3] [--idle 0,1000,5000] [--wave 200]
//                                [--only abc]
// (prints one JSON object; needs `npm run build`: it runs packages/cli/bin/oxydra.js)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chatOf, sleep, startChannelsEnv } from './channels-env.mjs';
import { percentile, summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '30' },
    'latency-chats': { type: 'string', default: '8' },
    'tp-chats': { type: 'string', default: '200' },
    'tp-per-chat': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    idle: { type: 'string', default: '0,1000,5000' },
    wave: { type: 'string', default: '200' },
    only: { type: 'string', default: 'abc' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  const text = readFileSync(new URL(import.meta.url), 'utf8');
  const header = text.split('\n').filter((line) => line.startsWith('//'));
  process.stdout.write(`${header.map((line) => line.slice(3)).join('\n')}\n`);
  process.exit(0);
}
const samples = Number(values.samples);
const latencyChats = Number(values['latency-chats']);
const tpChats = Number(values['tp-chats']);
const tpPerChat = Number(values['tp-per-chat']);
const rounds = Number(values.rounds);
const idleLevels = values.idle.split(',').map(Number);
const wave = Number(values.wave);
const only = new Set(values.only);
const log = (line) => process.stderr.write(`[channels-bench] ${line}\n`);
const round1 = (x) => Math.round(x * 10) / 10;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

const ONE = 'The answer, in one piece: the channel shows it with its first edit.';
const STREAMED = 'The answer streams in five parts, twenty milliseconds apart, edited into one message.';
const FAST = 'Fast answer.';
const STEPS = [
  { match: { lastMessageContains: '[one-delta]' }, reply: { text: ONE, textChunks: 1 }, times: 'always' },
  {
    match: { lastMessageContains: '[streamed]' },
    reply: { text: STREAMED, textChunks: 5 },
    fault: { slowChunksMs: 20 },
    times: 'always',
  },
  { match: { lastMessageContains: '[fast]' }, reply: { text: FAST, textChunks: 1 }, times: 'always' },
];

/** Calls from `from` on that showed `text` in `chat` (ok sends and edits). */
function shown(api, from, chat, text) {
  const out = [];
  for (let i = from; i < api.calls.length; i++) {
    const call = api.calls[i];
    if (!call.ok || Number(call.params.chat_id) !== chat) continue;
    if (call.method !== 'editMessageText' && call.method !== 'sendMessage') continue;
    if (text === undefined || call.params.text === text) out.push(call);
  }
  return out;
}

/** One model call by hand: the recorded request, replayed; ms to the first delta and to the end. */
async function rawCall(mockUrl, raw) {
  const start = performance.now();
  const response = await fetch(`${mockUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: raw,
  });
  const decoder = new TextDecoder();
  let buffer = '';
  let first;
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      if (first === undefined && JSON.parse(event.slice(6)).choices?.[0]?.delta?.content)
        first = performance.now() - start;
    }
  }
  return { first, total: performance.now() - start };
}

async function waitFor(check, what, timeoutMs = 120_000) {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const result = {
  bench: 'channels',
  platform: 'fake Telegram Bot API (@oxydra/testkit/telegram), long polling',
};

// ---- (a) and (b): one process ----
if (only.has('a') || only.has('b')) {
  const env = await startChannelsEnv({ senders: latencyChats + tpChats, steps: STEPS, label: 'channels' });
  try {
    await env.spawn();
    const { api, mock } = env;
    if (only.has('a')) {
      const shapes = {
        one_delta: { tag: '[one-delta]', answer: ONE },
        streamed_5_deltas: { tag: '[streamed]', answer: STREAMED },
      };
      const data = Object.fromEntries(
        Object.keys(shapes).map((k) => [k, { channel: [], first: [], raw: [], rawFirst: [], added: [] }]),
      );
      const loadBefore = load();
      // Warm-up: each chat's first message creates its session; not measured.
      for (let c = 0; c < latencyChats; c++) {
        const from = api.calls.length;
        api.message({ from: { id: chatOf(c) }, text: `warm up [one-delta]` });
        await waitFor(() => shown(api, from, chatOf(c), ONE).length > 0, 'a warm-up answer');
      }
      // Chats in turn; a chat's next message waits until its last answer's edit interval (1 s
      // from that answer's last edit) is over, or it would be measuring that wait.
      const idleAt = new Map();
      let n = 0;
      for (let i = 0; i < samples; i++) {
        for (const [name, shape] of Object.entries(shapes)) {
          const chat = chatOf(n++ % latencyChats);
          const wait = (idleAt.get(chat) ?? 0) - performance.now();
          if (wait > 0) await sleep(wait);
          const from = api.calls.length;
          const requests = mock.requests.length;
          const marker = `${shape.tag} sample ${i}`;
          const { updateId } = api.message({ from: { id: chat }, text: `Please answer ${marker}` });
          const final = await waitFor(
            () => shown(api, from, chat, shape.answer)[0],
            `the answer to ${marker}`,
          );
          idleAt.set(chat, final.at + 1100);
          const delivered = api.deliveredAt(updateId);
          const firstText = shown(api, from, chat).find((call) => call.params.text !== '…');
          const d = data[name];
          d.channel.push(final.at - delivered);
          d.first.push(firstText.at - delivered);
          const request = mock.requests.slice(requests).find((r) => r.raw.includes(marker));
          const raw = await rawCall(mock.url, request.raw);
          d.raw.push(raw.total);
          d.rawFirst.push(raw.first);
          d.added.push(final.at - delivered - raw.total);
        }
      }
      const p = (list) => ({
        p50_ms: round1(
          percentile(
            [...list].sort((a, b) => a - b),
            50,
          ),
        ),
        p99_ms: round1(
          percentile(
            [...list].sort((a, b) => a - b),
            99,
          ),
        ),
      });
      result.a_latency = {
        samples,
        chats: latencyChats,
        baseline: 'the turn’s recorded model request replayed with fetch to the same mock, read to the end',
        ...Object.fromEntries(
          Object.entries(data).map(([name, d]) => [
            name,
            {
              delivered_to_answer_shown: p(d.channel),
              baseline_model_call: p(d.raw),
              added_per_message: p(d.added),
              delivered_to_first_text_shown: p(d.first),
              baseline_first_delta: p(d.rawFirst),
            },
          ]),
        ),
        load_average: { before: loadBefore, after: load() },
      };
      log(`(a) ${JSON.stringify(result.a_latency)}`);
    }
    if (only.has('b')) {
      const loadBefore = load();
      const perRound = [];
      for (let r = 0; r < rounds; r++) {
        await sleep(1500); // every chat's edit interval over
        const from = api.calls.length;
        const chats = Array.from({ length: tpChats }, (_, i) => chatOf(latencyChats + i));
        const before = new Map(chats.map((chat) => [chat, api.sent(chat).length]));
        const sentAt = performance.now();
        const updates = [];
        for (let k = 0; k < tpPerChat; k++)
          for (const chat of chats)
            updates.push({
              chat,
              k,
              ...api.message({ from: { id: chat }, text: `[fast] round ${r} message ${k}` }),
            });
        // Done when every chat shows tpPerChat more answers (each its own message, edited to FAST).
        await waitFor(
          () =>
            chats.every(
              (chat) =>
                api
                  .sent(chat)
                  .slice(before.get(chat))
                  .filter((m) => m.text === FAST).length >= tpPerChat,
            ),
          `round ${r}'s answers`,
          600_000,
        );
        // The k-th message of a chat is answered in the chat's k-th new message (one at a time, in order).
        const firstShown = new Map();
        for (let i = from; i < api.calls.length; i++) {
          const call = api.calls[i];
          if (!call.ok || call.method !== 'editMessageText' || call.params.text !== FAST) continue;
          const key = `${call.params.chat_id}:${call.params.message_id}`;
          if (!firstShown.has(key)) firstShown.set(key, call.at);
        }
        const latencies = [];
        let last = 0;
        for (const u of updates) {
          const message = api.sent(u.chat).slice(before.get(u.chat))[u.k];
          const at = firstShown.get(`${u.chat}:${message.messageId}`);
          if (at === undefined) continue;
          last = Math.max(last, at);
          latencies.push(at - api.deliveredAt(u.updateId));
        }
        const seconds = (last - sentAt) / 1000;
        perRound.push({
          messages: updates.length,
          seconds: Math.round(seconds * 100) / 100,
          messages_per_s: round1(updates.length / seconds),
          latency: summarize(latencies),
        });
        log(`(b) round ${r + 1}: ${JSON.stringify(perRound.at(-1))}`);
      }
      const rates = perRound.map((x) => x.messages_per_s).sort((a, b) => a - b);
      result.b_throughput = {
        chats: tpChats,
        messages_per_chat: tpPerChat,
        rounds: perRound,
        median_messages_per_s: rates[Math.floor(rates.length / 2)],
        ceiling_messages_per_s: tpChats,
        load_average: { before: loadBefore, after: load() },
      };
    }
  } finally {
    await env.stop();
  }
}

// ---- (c) memory per 1,000 idle chats: a process of its own ----
if (only.has('c')) {
  const most = Math.max(...idleLevels);
  const reports = mkdtempSync(join(tmpdir(), 'oxydra-bench-channels-reports-'));
  const env = await startChannelsEnv({ senders: most, steps: STEPS, label: 'channels-idle' });
  try {
    // A preload in the measured process: on SIGUSR2, two full GCs (--expose-gc) and then its
    // process.memoryUsage() written to a file, so the heap read is what idle chats keep alive.
    const out = join(reports, 'memory.json');
    const preload = `import { renameSync, writeFileSync } from 'node:fs';
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  writeFileSync(${JSON.stringify(`${out}.tmp`)}, JSON.stringify(process.memoryUsage()));
  renameSync(${JSON.stringify(`${out}.tmp`)}, ${JSON.stringify(out)});
});`;
    await env.spawn(['--expose-gc', `--import=data:text/javascript,${encodeURIComponent(preload)}`]);
    const { api } = env;
    /** One reading after two full GCs: RSS and V8's heap used. */
    async function reading() {
      rmSync(out, { force: true });
      process.kill(env.pid, 'SIGUSR2');
      const usage = await waitFor(() => {
        try {
          return JSON.parse(readFileSync(out, 'utf8'));
        } catch {
          return undefined;
        }
      }, 'the memory reading');
      return { rss: usage.rss, heapUsed: usage.heapUsed };
    }
    const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
    const perThousand = (from, to, key) =>
      Math.round(((to[key] - from[key]) * 1024 * 1000) / (to.idle_chats - from.idle_chats));
    const levels = [];
    let talked = 0;
    for (const level of [...idleLevels].sort((a, b) => a - b)) {
      // In waves of --wave chats, each answered before the next: one process given thousands of
      // turns at once times its model calls out (it has no cap on turns across chats).
      while (talked < level) {
        const fresh = [];
        for (; talked < level && fresh.length < wave; talked++) {
          fresh.push(chatOf(talked));
          api.message({ from: { id: chatOf(talked) }, text: `[fast] hello from chat ${talked}` });
        }
        const waiting = new Set(fresh);
        await waitFor(
          () => {
            for (const chat of waiting) if (api.sent(chat).some((m) => m.text === FAST)) waiting.delete(chat);
            return waiting.size === 0;
          },
          `chats up to ${talked} answered`,
          600_000,
        );
      }
      await sleep(5000); // idle: the last edits sent, V8 past the burst
      const readings = [];
      for (let i = 0; i < 3; i++) {
        readings.push(await reading());
        await sleep(1000);
      }
      const median = (key) => [...readings.map((x) => x[key])].sort((a, b) => a - b)[1];
      levels.push({
        idle_chats: level,
        rss_mb: mb(median('rss')),
        heap_used_mb: mb(median('heapUsed')),
        load_average: load(),
      });
      log(`(c) ${JSON.stringify(levels.at(-1))}`);
    }
    result.c_memory = {
      allowlisted_senders: most,
      // Per 1,000 chats from the level before: the first step also holds what the process's first
      // turns load (code, compiled functions), the later ones only what each chat adds.
      levels: levels.map((level, i) => ({
        ...level,
        ...(i > 0
          ? {
              rss_kb_per_1000_chats_from_previous: perThousand(levels[i - 1], level, 'rss_mb'),
              heap_kb_per_1000_chats_from_previous: perThousand(levels[i - 1], level, 'heap_used_mb'),
            }
          : {}),
      })),
    };
  } finally {
    await env.stop();
    rmSync(reports, { recursive: true, force: true });
  }
}

result.load_average_at_end = load();
console.log(JSON.stringify(result, null, 2));
