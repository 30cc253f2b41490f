/**
 * One stateless agent turn answered over HTTP, whatever the dialect (chat completions or
 * responses): idempotency (a retried key replays the first answer), the per-user turn limit,
 * streaming or one body, and the failure policy (turn-failure.ts). The dialect only says how
 * text, reasoning, the end and a failure are spelled.
 */
import {
  Cancelled,
  type FinishReason,
  type Message,
  type RunEndEvent,
  type StreamEvent,
  type Usage,
} from '@oxydra/types';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth.js';
import { GatewayError, HTTP_STATUS, publicError } from '../errors.js';
import type { GatewayHub } from '../hub.js';
import { answeredAsStream } from '../request-slots.js';
import { type HoldRun, TOKEN_REVOKED } from '../token-holds.js';
import { turnEvents } from '../turn-spawn.js';
import { IdempotencyStore, MAX_KEY_CHARS } from './idempotency.js';
import { Recording } from './recording.js';
import { errorBody, replyError } from './reply-error.js';
import { SseWriter } from './sse.js';
import type { StructuredOutput } from './structured-output.js';
import { type HttpFailure, retryLater, turnFailure } from './turn-failure.js';

export interface TurnAnswer {
  text: string;
  reasoning: string;
  finish: FinishReason | undefined;
  end: RunEndEvent;
}

/** How one API spells a turn. `sse` is unset for a non-streamed answer (the dialect may still keep state). */
export interface Dialect {
  start(sse: SseWriter): void;
  text(delta: string, sse?: SseWriter): void;
  reasoning(delta: string, sse?: SseWriter): void;
  /**
   * A tool is about to run (a side effect): from here the stream is committed to 200, and a
   * dialect may put out what clients need to see before a failure to not re-run the request.
   */
  toolStarting?(sse: SseWriter): void;
  completed(answer: TurnAnswer, sse: SseWriter): void;
  failed(failure: HttpFailure, sse: SseWriter): void;
  /** Written after the last event (chat's `data: [DONE]`). */
  trailer?: string;
  body(answer: TurnAnswer): unknown;
}

export interface TurnSpec {
  /** The route, for idempotency keys. */
  scope: string;
  userId: string;
  agentName: string;
  prompt: string;
  history: Message[];
  stream: boolean;
  structured: StructuredOutput | undefined;
}

export interface TurnDeps {
  hub: GatewayHub;
  idempotency: IdempotencyStore;
  keepAliveMs: number;
  /** Stops the turn when its token is revoked (a keyed turn outlives its socket). */
  hold: HoldRun;
}

export function newTurnDeps(hub: GatewayHub, keepAliveMs: number, hold: HoldRun): TurnDeps {
  return { hub, idempotency: new IdempotencyStore(() => hub.options.clock.now()), keepAliveMs, hold };
}

/** A refusal before any turn: unknown agent (404 model_not_found), bad user, bad request... */
export function replyRefusal(reply: FastifyReply, error: unknown, model: string): FastifyReply {
  if (!(error instanceof GatewayError)) throw error;
  if (error.code === 'unknown_agent') {
    return replyError(
      reply,
      404,
      'model_not_found',
      `model "${model}" is not an agent of this gateway: ${error.message}`,
    );
  }
  return replyError(reply, HTTP_STATUS[error.code], error.code, error.message);
}

export async function answerTurn(
  deps: TurnDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  spec: TurnSpec,
  dialect: Dialect,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  const key = typeof header === 'string' ? header : undefined;
  let recording: Recording;
  let forget = () => {};
  if (key !== undefined) {
    if (key === '' || key.length > MAX_KEY_CHARS)
      return replyError(
        reply,
        400,
        'invalid_request',
        `Idempotency-Key must be 1-${MAX_KEY_CHARS} characters`,
      );
    const claim = deps.idempotency.claim(`${spec.scope} ${spec.userId}`, key, request.body);
    if (claim.kind === 'mismatch') {
      return replyError(
        reply,
        400,
        'idempotency_key_reused',
        `Idempotency-Key ${JSON.stringify(key.slice(0, 80))} was used for a different request; use a new key for a new request`,
      );
    }
    if (claim.kind === 'replay') {
      reply.hijack();
      answeredAsStream(reply.raw);
      claim.recording.attach(reply.raw);
      return reply;
    }
    recording = claim.recording;
    forget = claim.forget;
  } else
    recording = new Recording({
      keep: false,
      log: deps.hub.options.log,
      what: `${request.routeOptions.url ?? spec.scope} stream`,
    });
  reply.hijack();
  answeredAsStream(reply.raw);
  recording.attach(reply.raw);

  const controller = new AbortController();
  // Until the answer is checked: a client that hangs up during its schema check cancels the check.
  let finished = false;
  // Without a key a client that hangs up cancels the turn; with one, it runs on for the retry.
  if (key === undefined) {
    reply.raw.on('close', () => {
      if (!finished) controller.abort(new Cancelled('the HTTP client went away'));
    });
  }
  // A revoked token's turn stops, keyed or not: its socket is cut, but a keyed turn ran on.
  const unhold = deps.hold(principalOf(request.raw), () => controller.abort(new Cancelled(TOKEN_REVOKED)));
  const prompt = spec.structured ? `${spec.prompt}\n\n${spec.structured.instruction}` : spec.prompt;
  let started: Awaited<ReturnType<GatewayHub['startStateless']>>;
  try {
    // A structured answer's schema is compiled once the user's slot is held: the costly work
    // is under the per-user limit, and a request still waiting for its slot has cost nothing.
    started = await deps.hub.startStateless(
      { userId: spec.userId, agentName: spec.agentName, prompt, history: spec.history, attachments: [] },
      controller,
      spec.structured?.prepare,
    );
  } catch (error) {
    finished = true;
    unhold();
    const failure = startFailure(error);
    sendFailure(recording, failure);
    if (failure.retriable) forget();
    return reply;
  }

  const tally = new TurnTally();
  const sse = spec.stream ? new SseWriter(recording, deps.keepAliveMs, () => dialect.start(sse!)) : undefined;
  try {
    for await (const event of turnEvents(started.handle, deps.hub.options.log)) {
      tally.observe(event);
      if (event.type === 'text_delta' && event.text !== '' && !spec.structured) dialect.text(event.text, sse);
      else if (event.type === 'reasoning_delta' && event.text !== '') dialect.reasoning(event.text, sse);
      // A side effect is coming: the stream commits to 200, so its end is never a retriable status.
      else if (event.type === 'tool_execution_start' && sse) {
        sse.open();
        dialect.toolStarting?.(sse);
      }
    }
  } catch (error) {
    deps.hub.options.log('error', 'a stateless turn failed', { error: String(error) });
  } finally {
    unhold();
    started.done();
    sse?.stop();
  }

  const outcome = await settle(tally, spec.structured, controller.signal);
  finished = true;
  if (outcome.ok && spec.structured) dialect.text(outcome.answer.text, sse);
  if (sse?.opened || (sse && outcome.ok)) {
    if (outcome.ok) dialect.completed(outcome.answer, sse);
    else dialect.failed(outcome.failure, sse);
    sse.end(dialect.trailer);
  } else if (outcome.ok) {
    recording.head(200, { 'content-type': 'application/json; charset=utf-8' });
    recording.end(JSON.stringify(dialect.body(outcome.answer)));
  } else sendFailure(recording, outcome.failure);
  if (!outcome.ok && outcome.failure.retriable) forget();
  return reply;
}

type Outcome = { ok: true; answer: TurnAnswer } | { ok: false; failure: HttpFailure };

async function settle(
  tally: TurnTally,
  structured: StructuredOutput | undefined,
  signal: AbortSignal,
): Promise<Outcome> {
  const { end } = tally;
  if (end?.type !== 'run_completed') return { ok: false, failure: turnFailure(end?.error, tally.toolRan) };
  let text = end.text;
  if (structured) {
    const checked = await structured.check(tally.lastCallText, signal);
    if (!checked.ok) {
      const error = { code: 'invalid_structured_output', message: checked.message };
      return {
        ok: false,
        failure: tally.toolRan ? turnFailure(error, true) : retryLater(502, error.code, error.message),
      };
    }
    text = checked.json;
  }
  return { ok: true, answer: { text, reasoning: tally.reasoning, finish: tally.finish, end } };
}

function startFailure(error: unknown): HttpFailure {
  if (error instanceof GatewayError) {
    const status = HTTP_STATUS[error.code];
    return status >= 500
      ? retryLater(status, error.code, error.message)
      : { status, code: error.code, message: error.message, headers: {}, retriable: false };
  }
  return turnFailure(publicError(error), false);
}

function sendFailure(recording: Recording, failure: HttpFailure): void {
  recording.head(failure.status, { 'content-type': 'application/json; charset=utf-8', ...failure.headers });
  recording.end(JSON.stringify(errorBody(failure.status, failure.code, failure.message)));
}

/**
 * What a stateless turn's events add up to, for the HTTP answers: the text (every model call's,
 * as streamed; see the runtime's answer rule) and the last call's alone (a structured answer),
 * reasoning, how it finished, its usage, and whether any tool ran (a side effect: from then on a
 * failure must not be retried by the client).
 */
class TurnTally {
  text = '';
  lastCallText = '';
  reasoning = '';
  finish: FinishReason | undefined;
  end: RunEndEvent | undefined;
  toolRan = false;

  observe(event: StreamEvent): void {
    switch (event.type) {
      case 'turn_start':
        this.lastCallText = '';
        return;
      case 'text_delta':
        this.text += event.text;
        this.lastCallText += event.text;
        return;
      case 'reasoning_delta':
        this.reasoning += event.text;
        return;
      case 'tool_execution_start':
        this.toolRan = true;
        return;
      case 'finish':
        this.finish = event.reason;
        return;
      case 'run_completed':
      case 'run_failed':
        this.end = event;
        return;
      default:
        return;
    }
  }
}

/** Usage in the OpenAI chat shape, with the cached and reasoning token details when known. */
export function chatUsage(usage: Usage) {
  const prompt = usage.inputTokens ?? 0;
  const completion = usage.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** Usage in the Responses API shape. */
export function responsesUsage(usage: Usage) {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}
