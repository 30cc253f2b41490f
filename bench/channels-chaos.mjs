#!/usr/bin/env node
// The chat-channel chaos test of issue 34 ("Done when"): one `oxydra channels run` answering the
// testkit's fake Telegram Bot API with the testkit's mock model, while --conversations
// allowlisted senders (each a private chat, each their own kernel user) send --messages messages
// each at random times over --seconds, and the process is SIGKILLed every --kill-min to
// --kill-max seconds (at random) and started again (past --seconds until --min-kills kills). Every answer streams in --chunks deltas
// --chunk-ms apart; a --slow-share of them --slow-chunk-ms apart (the turns a kill is most
// likely to cut). Each message carries a unique marker, and the mock answers it with a text
// naming that marker, so every reply is traced to its message and chat.
//
// After the last kill it waits until every message is accounted for (or --drain-timeout), stops
// the process with SIGTERM and counts on the fake's side, per chat, what the bot sent:
//  (a) none lost: every message got its answer, or the documented note "Oxydra stopped while
//      answering this message..." for a turn cut by a kill (one note per unanswered message);
//  (b) none duplicated: no answer in two messages, no more notes than unanswered messages;
//  (c) none sent to a wrong chat: every answer is in its sender's chat;
//  (d) the model was asked each message at most once (a cut turn is not run again, by design);
//  (e) nothing else was sent (no error replies), every update was confirmed to Telegram, and the
//      outbox (.oxydra/channels.db) holds nothing unsent after the final SIGTERM.
// (b) leaves out the one documented gap: a note sent again because a kill came between
// Telegram's answer to its sendMessage and the outbox marking it sent (counted apart: the fake
// got more notes in the chat than the outbox holds for it).
// It reports how many messages got their answer, how many the note (cut before the model was
// asked, or while it answered), and the placeholders a cut turn left ("…" or part of an answer).
// Prints one JSON object; exit code 1 when an invariant fails. Progress on stderr every 10 s.
// Usage: node bench/channels-chaos.mjs [--conversations 200] [--messages 5] [--seconds 60]
//          [--kill-min 2] [--kill-max 6] [--min-kills 0] [--chunks 5] [--chunk-ms 30] [--slow-share 0.2]
//          [--slow-chunk-ms 400] [--drain-timeout 120] [--seed 34] [--quiet]
// (needs `npm run build`: it runs packages/cli/bin/oxydra.js)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INTERRUPTED_NOTE, STREAMING_MARK } from '@oxydra/channels';
import { seededRandom } from '@oxydra/testkit';
import { chatOf, lastUserText, sleep, startChannelsEnv } from './channels-env.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    conversations: { type: 'string', default: '200' },
    messages: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '60' },
    'kill-min': { type: 'string', default: '2' },
    'kill-max': { type: 'string', default: '6' },
    'min-kills': { type: 'string', default: '0' },
    chunks: { type: 'string', default: '5' },
    'chunk-ms': { type: 'string', default: '30' },
    'slow-share': { type: 'string', default: '0.2' },
    'slow-chunk-ms': { type: 'string', default: '400' },
    'drain-timeout': { type: 'string', default: '120' },
    seed: { type: 'string', default: '34' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  const text = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
  process.stdout.write(
    `${text
      .split('\n')
      .filter((line) => line.startsWith('//'))
      .map((line) => line.slice(3))
      .join('\n')}\n`,
  );
  process.exit(0);
}
const conversations = Number(values.conversations);
const perChat = Number(values.messages);
const seconds = Number(values.seconds);
const killMin = Number(values['kill-min']);
const killMax = Number(values['kill-max']);
const minKills = Number(values['min-kills']);
const chunks = Number(values.chunks);
const chunkMs = Number(values['chunk-ms']);
const slowShare = Number(values['slow-share']);
const slowChunkMs = Number(values['slow-chunk-ms']);
const drainTimeoutMs = Number(values['drain-timeout']) * 1000;
const random = seededRandom(Number(values.seed));
// The channel store's own driver (a dependency of @oxydra/kernel), to read the outbox after the run.
const Database = createRequire(new URL('../packages/kernel/package.json', import.meta.url))('libsql');
const log = (line) => process.stderr.write(`[channels-chaos] ${line}\n`);

// ---- the plan: every message, when it is sent, what answers it ----
/** Every message: { chat, index, marker, text, answer, slow, at (ms after start) }. */
const plan = [];
for (let c = 0; c < conversations; c++) {
  const times = Array.from({ length: perChat }, () => random() * seconds * 1000).sort((a, b) => a - b);
  for (let k = 0; k < perChat; k++) {
    const marker = `[m-${c}-${k}]`;
    plan.push({
      chat: chatOf(c),
      conversation: c,
      index: k,
      marker,
      text: `Message ${k + 1} of conversation ${c} ${marker}: please answer it.`,
      answer: `Answer to ${marker}: this reply streams in several parts, one after another.`,
      slow: random() < slowShare,
      at: times[k],
    });
  }
}
plan.sort((a, b) => a.at - b.at);
const steps = plan.map((m) => ({
  match: { lastMessageContains: m.marker },
  // Asked again (which must not happen) it answers again, so a second ask is counted, not hidden.
  times: 'always',
  reply: { text: m.answer, textChunks: chunks },
  fault: { slowChunksMs: m.slow ? slowChunkMs : chunkMs },
}));
steps.push({ reply: { text: 'UNPLANNED CALL' }, times: 'always' });

const env = await startChannelsEnv({
  senders: conversations,
  steps,
  label: 'channels-chaos',
  log: values.quiet ? () => {} : (line) => log(line.slice(0, 300)),
});
const abort = async (reason) => {
  log(`aborted: ${reason?.stack ?? reason}`);
  await env.stop().catch(() => {});
  process.exit(2);
};
process.on('uncaughtException', abort);
process.on('unhandledRejection', abort);
process.on('SIGINT', () => abort('SIGINT'));

// ---- counting on the fake's side ----
const byAnswer = new Map(plan.map((m) => [m.answer, m]));
const byMarker = new Map(plan.map((m) => [m.marker, m]));
const byChat = new Map();
for (const m of plan) byChat.set(m.chat, [...(byChat.get(m.chat) ?? []), m]);

/** What the bot sent, classified per message and chat (see the invariants above). */
function tally(storedNotes) {
  const answers = new Map(); // marker -> messages showing its answer
  const notes = new Map(); // chat -> notes sent there
  const wrongChat = [];
  const other = [];
  let placeholders = 0;
  let partial = 0;
  for (const sent of env.api.sent()) {
    const planned = byAnswer.get(sent.text);
    if (planned) {
      if (planned.chat !== sent.chatId) wrongChat.push({ marker: planned.marker, chat: sent.chatId });
      else answers.set(planned.marker, [...(answers.get(planned.marker) ?? []), sent]);
    } else if (sent.text === INTERRUPTED_NOTE) notes.set(sent.chatId, (notes.get(sent.chatId) ?? 0) + 1);
    else if (sent.text === '…' && byChat.has(sent.chatId)) placeholders++;
    // A streamed edit ends with the mark ("not done yet"): a cut turn leaves one, even one showing
    // every word of its answer (the model had not finished, and the note follows).
    else if (
      sent.text.endsWith(STREAMING_MARK) &&
      (byChat.get(sent.chatId) ?? []).some((m) =>
        m.answer.startsWith(sent.text.slice(0, -STREAMING_MARK.length)),
      )
    )
      partial++;
    else other.push({ chat: sent.chatId, text: sent.text.slice(0, 200) });
  }
  let lost = 0;
  let extraNotes = 0;
  const lostExamples = [];
  const extraExamples = [];
  let resentAtKill = 0;
  const unanswered = [];
  for (let c = 0; c < conversations; c++) {
    const chat = chatOf(c);
    const mine = byChat.get(chat).filter((m) => m.sentAt !== undefined);
    const open = mine.filter((m) => !answers.has(m.marker));
    unanswered.push(...open);
    const noted = notes.get(chat) ?? 0;
    if (open.length > noted) {
      lost += open.length - noted;
      if (lostExamples.length < 5)
        lostExamples.push({ chat, unanswered: open.map((m) => m.marker), notes: noted });
    } else if (noted > open.length) {
      // The documented gap (docs/channels.md, "Outgoing"): a kill between Telegram's answer to a
      // sendMessage and the outbox's mark sends that message again (sendMessage has no idempotency
      // key). Told apart by the outbox (read after the run): notes the fake got beyond the notes
      // the outbox holds for the chat are one stored note sent twice; notes the outbox holds
      // beyond the unanswered messages are a note for a message that was answered.
      const extra = noted - open.length;
      const resent = storedNotes ? Math.min(extra, Math.max(0, noted - (storedNotes.get(chat) ?? 0))) : 0;
      resentAtKill += resent;
      extraNotes += extra - resent;
      if (extra > resent && extraExamples.length < 5)
        extraExamples.push({
          chat,
          unanswered: open.map((m) => m.marker),
          notes: noted,
          answered: mine.filter((m) => answers.has(m.marker)).map((m) => m.marker),
          notes_in_outbox: storedNotes?.get(chat),
          explained_as_resent: resent,
          sent: chatLog(chat),
        });
    }
  }
  const duplicated = [...answers].filter(([, list]) => list.length > 1).map(([marker]) => marker);
  return {
    answers,
    notes,
    wrongChat,
    other,
    placeholders,
    partial,
    lost,
    lostExamples,
    extraNotes,
    extraExamples,
    resentAtKill,
    unanswered,
    duplicated,
  };
}

/** What the bot did in one chat, in order, for the report of a chat that went wrong. */
function chatLog(chat) {
  return env.api.calls
    .filter((c) => Number(c.params.chat_id) === chat && c.method !== 'getUpdates')
    .map(
      (c) =>
        `${((c.at - spanStart) / 1000).toFixed(2)} s ${c.method} ${c.params.message_id ?? ''} ${c.ok ? '' : c.errorCode} ${String(c.params.text ?? '').slice(0, 40)}`,
    );
}

// ---- sending and killing ----
const startedAt = performance.now();
const since = () => ((performance.now() - startedAt) / 1000).toFixed(1);
const first = await env.spawn();
log(`oxydra channels run answering ${conversations} chats (started in ${first.startMs} ms)`);
const spanStart = performance.now();
const spanEnd = spanStart + seconds * 1000;

async function sendAll() {
  for (const m of plan) {
    const wait = spanStart + m.at - performance.now();
    if (wait > 0) await sleep(wait);
    m.sentAt = performance.now();
    m.updateId = env.api.message({
      from: { id: m.chat, first_name: `Sender ${m.conversation}` },
      text: m.text,
    }).updateId;
  }
}

const kills = [];
async function killLoop() {
  for (;;) {
    await sleep((killMin + random() * (killMax - killMin)) * 1000);
    if (performance.now() >= spanEnd && kills.length >= minKills) return;
    const at = performance.now();
    // What was in flight at the kill: delivered to the process, no answer yet.
    const counted = tally();
    const inFlight = plan.filter((m) => m.sentAt !== undefined && !counted.answers.has(m.marker)).length;
    await env.kill();
    const restart = await env.spawn();
    kills.push({
      at,
      at_s: Math.round((at - spanStart) / 100) / 10,
      unanswered_at_kill: inFlight,
      restart_ms: restart.startMs,
    });
    log(
      `${since()} s: SIGKILL #${kills.length} (${inFlight} messages unanswered), restarted in ${restart.startMs} ms`,
    );
  }
}

const progress = setInterval(() => {
  const t = tally();
  const sent = plan.filter((m) => m.sentAt !== undefined).length;
  log(
    `${since()} s: ${sent} sent, ${t.answers.size} answered, ${[...t.notes.values()].reduce((a, b) => a + b, 0)} notes, ${kills.length} kills, ${env.mock.requests.length} model calls`,
  );
}, 10_000);

await Promise.all([sendAll(), killLoop()]);
log(`${since()} s: all ${plan.length} messages sent, ${kills.length} kills; draining`);

// ---- drain: until every message is answered or noted and every update confirmed ----
const drainStart = performance.now();
let drained = false;
while (performance.now() - drainStart < drainTimeoutMs) {
  const t = tally();
  if (t.lost === 0 && env.api.pendingUpdates === 0) {
    drained = true;
    break;
  }
  await sleep(250);
}
// A little longer, so a late duplicate would still be counted; then a clean stop.
await sleep(3000);
const exitCode = await env.terminate();
clearInterval(progress);
const runSeconds = (performance.now() - spanStart) / 1000;

// ---- the verdicts ----
// The outbox as the run left it: the notes it holds per chat (to tell a note sent twice from a
// note too many, above) and what it never sent.
const db = new Database(join(env.workspace, '.oxydra', 'channels.db'), { readonly: true });
const storedNotes = new Map(
  db
    .prepare(
      "SELECT chat_id, count(*) AS n FROM channel_outbox WHERE key LIKE 'interrupted:%' GROUP BY chat_id",
    )
    .all()
    .map((row) => [Number(row.chat_id), Number(row.n)]),
);
const unsent = Number(db.prepare('SELECT count(*) AS n FROM channel_outbox WHERE sent_at IS NULL').get().n);
db.close();
const t = tally(storedNotes);
const asks = new Map();
for (const request of env.mock.requests) {
  const text = lastUserText(request);
  const marker = /\[m-\d+-\d+\]/.exec(text)?.[0];
  if (marker && byMarker.has(marker)) asks.set(marker, (asks.get(marker) ?? 0) + 1);
}
const askedTwice = [...asks].filter(([, n]) => n > 1).map(([marker]) => marker);
const unplannedCalls = env.mock.requests.length - [...asks.values()].reduce((a, b) => a + b, 0);
const answeredNotAsked = [...t.answers.keys()].filter((marker) => !asks.has(marker));
const cutAsked = t.unanswered.filter((m) => asks.has(m.marker)).length;
const notesSent = [...t.notes.values()].reduce((a, b) => a + b, 0);

// Latency of the answered messages: the fake handing the update out -> the whole answer shown
// (the first sendMessage/editMessageText carrying its full text). Kills and restarts included.
const firstShown = new Map();
for (const call of env.api.calls) {
  if (!call.ok || (call.method !== 'editMessageText' && call.method !== 'sendMessage')) continue;
  const text = String(call.params.text ?? '');
  if (byAnswer.has(text) && !firstShown.has(text)) firstShown.set(text, call.at);
}
const latencies = [];
for (const m of plan) {
  const delivered = env.api.deliveredAt(m.updateId);
  const shown = firstShown.get(m.answer);
  if (delivered !== undefined && shown !== undefined) latencies.push(shown - delivered);
}

const invariants = {
  a_none_lost: {
    ok: t.lost === 0 && drained,
    messages_without_answer_or_note: t.lost,
    drained_in_time: drained,
    examples: t.lostExamples,
  },
  b_none_duplicated: {
    ok: t.duplicated.length === 0 && t.extraNotes === 0,
    answers_sent_twice: t.duplicated.length,
    notes_beyond_unanswered_messages: t.extraNotes,
    // Not counted against (b): the documented gap, a note sent again after a kill that came
    // between Telegram's answer and the outbox's mark.
    notes_resent_after_a_kill_documented_gap: t.resentAtKill,
    examples: [...t.duplicated.slice(0, 5), ...t.extraExamples],
  },
  c_none_to_a_wrong_chat: {
    ok: t.wrongChat.length === 0,
    answers_in_wrong_chat: t.wrongChat.length,
    examples: t.wrongChat.slice(0, 5),
  },
  d_model_asked_each_message_at_most_once: {
    ok: askedTwice.length === 0 && answeredNotAsked.length === 0,
    asked_twice: askedTwice.length,
    answered_without_asking: answeredNotAsked.length,
    examples: askedTwice.slice(0, 5),
  },
  e_nothing_else_sent_all_confirmed_and_sent: {
    ok: t.other.length === 0 && env.api.pendingUpdates === 0 && unplannedCalls === 0 && unsent === 0,
    outbox_left_unsent: unsent,
    other_messages: t.other.length,
    unconfirmed_updates: env.api.pendingUpdates,
    unplanned_model_calls: unplannedCalls,
    examples: t.other.slice(0, 5),
  },
};
const ok = Object.values(invariants).every((entry) => entry.ok);
const result = {
  bench: 'channels-chaos',
  config: {
    platform: 'fake Telegram Bot API (@oxydra/testkit/telegram), long polling',
    conversations,
    messages_per_conversation: perChat,
    seconds,
    kill_every_s: [killMin, killMax],
    mock: { chunks, chunk_ms: chunkMs, slow_share: slowShare, slow_chunk_ms: slowChunkMs },
    seed: Number(values.seed),
  },
  run_seconds: Math.round(runSeconds * 10) / 10,
  messages: {
    sent: plan.length,
    answered: t.answers.size,
    noted_interrupted: notesSent,
    cut_before_model_asked: t.unanswered.length - cutAsked,
    cut_while_model_answered: cutAsked,
    placeholders_left_by_cut_turns: t.placeholders,
    partial_answers_left_by_cut_turns: t.partial,
  },
  model_calls: env.mock.requests.length,
  answered_latency_from_delivery: summarize(latencies),
  kills: kills.length,
  kill_log: kills.map(({ at, ...kill }) => kill),
  final_sigterm_exit_code: exitCode,
  load_average: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  invariants,
  ok,
};
await env.stop();
console.log(JSON.stringify(result, null, 2));
process.exit(ok ? 0 : 1);
