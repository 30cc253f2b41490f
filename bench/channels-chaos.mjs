#!/usr/bin/env node
// The chat-channel chaos test of issue 34 ("Done when"): one `oxydra channels run` answering a
// testkit fake of the --platform (telegram: the fake Bot API by long polling; slack: the fake
// Slack by Socket Mode; bench/channels-platforms.mjs) with the testkit's mock model, while
// --conversations allowlisted senders (each a direct chat, each their own kernel user) send --messages messages
// each at random times over --seconds, and the process is SIGKILLed every --kill-min to
// --kill-max seconds (at random) and started again (past --seconds until --min-kills kills); a
// --kill-at-delivery share of those kills lands right as a message is handed to the process (the
// fake has written it, the process has not stored or confirmed it: on Slack an envelope on the
// wire, not yet acknowledged), the rest at a random time. Every answer streams in --chunks deltas
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
//  (e) nothing else was sent (no error replies), every delivery was confirmed to the platform
//      (Telegram: the offset past it; Slack: its envelope acknowledged), and the outbox
//      (.oxydra/channels.db) holds nothing unsent after the final SIGTERM.
// A note replaces its turn's placeholder (an edit), so a kill between the platform's answer and
// the outbox's mark cannot show it twice; (b) tells such a resend apart from a note too many.
// It reports how many messages got their answer, how many the note (cut before the model was
// asked, or while it answered), and the placeholders a cut turn left ("…" or part of an answer).
// Prints one JSON object; exit code 1 when an invariant fails. Progress on stderr every 10 s.
// Usage: node bench/channels-chaos.mjs [--platform telegram|slack] [--conversations 200] [--messages 5] [--seconds 60]
//          [--kill-min 2] [--kill-max 6] [--min-kills 0] [--kill-at-delivery 0.5] [--chunks 5] [--chunk-ms 30] [--slow-share 0.2]
//          [--slow-chunk-ms 400] [--drain-timeout 120] [--seed 34] [--quiet]
// (needs `npm run build`: it runs packages/cli/bin/oxydra.js)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { INTERRUPTED_NOTE, STREAMING_MARK } from '@oxydra/channels';
import { seededRandom } from '@oxydra/testkit';
import { lastUserText, sleep, startChannelsEnv } from './channels-env.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    platform: { type: 'string', default: 'telegram' },
    conversations: { type: 'string', default: '200' },
    messages: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '60' },
    'kill-min': { type: 'string', default: '2' },
    'kill-max': { type: 'string', default: '6' },
    'min-kills': { type: 'string', default: '0' },
    'kill-at-delivery': { type: 'string', default: '0.5' },
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
const killAtDelivery = Number(values['kill-at-delivery']);
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
      chat: undefined, // the platform's chat id, filled in once its fake runs
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
  platform: values.platform,
  label: 'channels-chaos',
  log: values.quiet ? () => {} : (line) => log(line.slice(0, 300)),
});
const platform = env.platform;
for (const m of plan) m.chat = platform.chatOf(m.conversation);
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
  for (const sent of platform.sent()) {
    const planned = byAnswer.get(sent.text);
    if (planned) {
      if (planned.chat !== sent.chat) wrongChat.push({ marker: planned.marker, chat: sent.chat });
      else answers.set(planned.marker, [...(answers.get(planned.marker) ?? []), sent]);
    } else if (sent.text === INTERRUPTED_NOTE) notes.set(sent.chat, (notes.get(sent.chat) ?? 0) + 1);
    else if (sent.text === '…' && byChat.has(sent.chat)) placeholders++;
    // A streamed edit ends with the mark ("not done yet"): a cut turn leaves one, even one showing
    // every word of its answer (the model had not finished, and the note follows).
    else if (
      sent.text.endsWith(STREAMING_MARK) &&
      (byChat.get(sent.chat) ?? []).some((m) =>
        m.answer.startsWith(sent.text.slice(0, -STREAMING_MARK.length)),
      )
    )
      partial++;
    else other.push({ chat: sent.chat, text: sent.text.slice(0, 200) });
  }
  let lost = 0;
  let extraNotes = 0;
  const lostExamples = [];
  const extraExamples = [];
  let resentAtKill = 0;
  const unanswered = [];
  for (let c = 0; c < conversations; c++) {
    const chat = platform.chatOf(c);
    const mine = byChat.get(chat).filter((m) => m.sentAt !== undefined);
    const open = mine.filter((m) => !answers.has(m.marker));
    unanswered.push(...open);
    const noted = notes.get(chat) ?? 0;
    if (open.length > noted) {
      lost += open.length - noted;
      if (lostExamples.length < 5)
        lostExamples.push({ chat, unanswered: open.map((m) => m.marker), notes: noted });
    } else if (noted > open.length) {
      // The documented gap (docs/channels.md, "Outgoing"): a kill between the platform's answer to
      // a post and the outbox's mark sends that message again (neither sendMessage nor
      // chat.postMessage takes an idempotency key). Told apart by the outbox (read after the run): notes the fake got beyond the notes
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
          // Each message's stored status(es), the outbox's answer (a) and note (n) for it.
          stored:
            storedNotes &&
            Object.fromEntries(
              mine.map((m) => [
                m.marker,
                (stored.get(m.marker) ?? []).map(
                  (c) => `${c.status}${c.answer_in_outbox ? ' a' : ''}${c.note_in_outbox ? ' n' : ''}`,
                ),
              ]),
            ),
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
  return platform
    .outbound()
    .filter((c) => c.chat === chat)
    .map(
      (c) =>
        `${((c.at - spanStart) / 1000).toFixed(2)} s ${c.kind} ${c.messageId ?? ''} ${c.ok ? '' : c.error} ${c.text.slice(0, 40)}${c.text.length > 40 ? `… (${c.text.length} chars)` : ''}`,
    );
}

// ---- sending and killing ----
const startedAt = performance.now();
const since = () => ((performance.now() - startedAt) / 1000).toFixed(1);
const first = await env.spawn();
log(`oxydra channels run answering ${conversations} ${platform.name} chats (started in ${first.startMs} ms)`);
const spanStart = performance.now();
const spanEnd = spanStart + seconds * 1000;

async function sendAll() {
  for (const m of plan) {
    const wait = spanStart + m.at - performance.now();
    if (wait > 0) await sleep(wait);
    m.sentAt = performance.now();
    m.deliveryId = platform.send(m.conversation, m.text);
    // A kill waiting for a delivery comes now, before the process can store it.
    afterSend?.(m);
    afterSend = undefined;
  }
  sendsDone = true;
  afterSend?.(undefined);
}

/** Set by the kill loop to kill right after the next message is handed over. */
let afterSend;
let sendsDone = false;

const kills = [];
async function killLoop() {
  for (;;) {
    await sleep((killMin + random() * (killMax - killMin)) * 1000);
    if (performance.now() >= spanEnd && kills.length >= minKills) return;
    const atDelivery =
      !sendsDone && random() < killAtDelivery
        ? await new Promise((resolve) => {
            afterSend = resolve;
          })
        : undefined;
    const at = performance.now();
    const killed = env.kill();
    // What was in flight at the kill: delivered to the process, no answer yet.
    const counted = tally();
    const inFlight = plan.filter((m) => m.sentAt !== undefined && !counted.answers.has(m.marker)).length;
    await killed;
    const restart = await env.spawn();
    kills.push({
      at,
      at_s: Math.round((at - spanStart) / 100) / 10,
      ...(atDelivery ? { at_delivery_of: atDelivery.marker } : {}),
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
  if (t.lost === 0 && platform.pending === 0) {
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
    .map((row) => [String(row.chat_id), Number(row.n)]),
);
const unsent = Number(db.prepare('SELECT count(*) AS n FROM channel_outbox WHERE sent_at IS NULL').get().n);
// What the store holds per message (found by its marker): each stored copy's seq and status, and
// which of them has an answer or a note in the outbox. One copy per message, or a redelivery was
// stored twice; a note for a message whose whole answer the fake shows is told apart by it.
const outboxKeys = new Set(
  db
    .prepare('SELECT key FROM channel_outbox')
    .all()
    .map((row) => String(row.key)),
);
const stored = new Map();
for (const row of db.prepare('SELECT seq, text, status FROM channel_inbound').all()) {
  const marker = /\[m-\d+-\d+\]/.exec(String(row.text))?.[0];
  if (!marker) continue;
  stored.set(marker, [
    ...(stored.get(marker) ?? []),
    {
      seq: Number(row.seq),
      status: String(row.status),
      answer_in_outbox: outboxKeys.has(`answer:${row.seq}:0`),
      note_in_outbox: outboxKeys.has(`interrupted:${row.seq}`),
    },
  ]);
}
db.close();
const t = tally(storedNotes);
const storedTwice = [...stored].filter(([, copies]) => copies.length > 1).map(([marker]) => marker);
// The window the host is closing (docs/channels.md, Measured): the last streamed edit showed the
// whole answer, the kill came before the turn was stored, the next process sent the note.
const shownThenNoted = [...t.answers.keys()]
  .filter((marker) => (stored.get(marker) ?? []).some((copy) => copy.note_in_outbox))
  .map((marker) => ({ marker, stored: stored.get(marker) }));
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

// Latency of the answered messages: the fake handing the delivery out -> the whole answer shown
// (the first post or edit carrying its full text). Kills and restarts included.
const firstShown = new Map();
for (const call of platform.outbound()) {
  if (call.ok && byAnswer.has(call.text) && !firstShown.has(call.text)) firstShown.set(call.text, call.at);
}
const latencies = [];
for (const m of plan) {
  const delivered = platform.deliveredAt(m.deliveryId);
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
    // A note replaces its turn's placeholder (an edit), so one sent again after a kill shows once:
    // a note seen twice fails (b) like any other.
    ok: t.duplicated.length === 0 && t.extraNotes + t.resentAtKill === 0 && storedTwice.length === 0,
    answers_sent_twice: t.duplicated.length,
    notes_beyond_unanswered_messages: t.extraNotes,
    // Of those: a message whose whole answer was shown by a streamed edit, cut before the host
    // stored the turn (its stored status "interrupted", no answer in the outbox).
    of_which_answer_shown_then_noted: shownThenNoted.length,
    messages_stored_twice: storedTwice.length,
    // Of the notes beyond: one stored note shown twice (a kill between the platform's answer to
    // a post and the outbox's mark, were the note a new message rather than an edit).
    notes_resent_after_a_kill: t.resentAtKill,
    examples: [
      ...t.duplicated.slice(0, 5),
      ...storedTwice.slice(0, 5).map((marker) => ({ marker, stored: stored.get(marker) })),
      ...shownThenNoted.slice(0, 5),
      ...t.extraExamples,
    ],
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
    ok: t.other.length === 0 && platform.pending === 0 && unplannedCalls === 0 && unsent === 0,
    outbox_left_unsent: unsent,
    other_messages: t.other.length,
    unconfirmed_updates: platform.pending,
    unplanned_model_calls: unplannedCalls,
    examples: t.other.slice(0, 5),
  },
};
const ok = Object.values(invariants).every((entry) => entry.ok);
const result = {
  bench: 'channels-chaos',
  config: {
    platform: platform.description,
    conversations,
    messages_per_conversation: perChat,
    seconds,
    kill_every_s: [killMin, killMax],
    kill_at_delivery_share: killAtDelivery,
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
  platform: platform.figures(),
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
