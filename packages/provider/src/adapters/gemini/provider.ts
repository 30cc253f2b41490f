/**
 * Google Gemini API (`type: gemini`): models/{model}:streamGenerateContent?alt=sse, spoken on
 * `fetch` with eventsource-parser (see wire.ts). It sends what @google/genai sent for us (the
 * same bodies, URLs and key header) and keeps its automatic continuation.
 */
import type { Context, ModelEvent, Provider } from '@oxydra/types';
import { InStreamError } from '../../shared/errors.js';
import { type AdapterOptions, apiKeyOf, defineAdapter } from '../define.js';
import { describeGeminiError } from './errors.js';
import { type GeminiChunk, GeminiStreamTranslator } from './events.js';
import { geminiRequestJson } from './request.js';
import {
  GeminiEventReader,
  type GeminiTransport,
  geminiApiRoot,
  geminiHeaders,
  geminiStreamUrl,
  invalidModel,
  postGemini,
} from './wire.js';

const CONTINUATION = 'CONTINUATION';
/** Requests one reply may span through continuation tokens (each is billed; this bounds a loop). */
export const MAX_GEMINI_REQUESTS_PER_REPLY = 32;

/**
 * Automatic continuation, on by default in @google/genai and kept: a reply that reaches the
 * per-request token limit ends with finishReason CONTINUATION and a continuationToken; the same
 * request sent again with that token brings the rest. The intermediate finishReason is hidden,
 * so the events read as one reply, and the usage of every request is added up. A request that
 * fails or ends early is not re-sent from a checkpoint as the SDK did: the error ends the call
 * and the reliability layer decides about retrying.
 */
class Continuation {
  private token: string | undefined;
  private resumable = false;
  private blocked = false;

  constructor(private readonly startToken: string | undefined) {}

  observe(chunk: GeminiChunk): void {
    if (chunk.promptFeedback !== undefined && chunk.promptFeedback !== null) this.blocked = true;
    const candidate = chunk.candidates?.[0];
    if (candidate === undefined || candidate === null) return;
    const reason = candidate.finishReason;
    if (candidate.continuationToken) this.token = candidate.continuationToken;
    else if (reason && reason !== CONTINUATION) this.token = undefined;
    if (!reason) return;
    this.resumable =
      reason === CONTINUATION && this.token !== undefined && this.token !== this.startToken && !this.blocked;
    if (this.resumable) candidate.finishReason = undefined;
  }

  /** The token to go on with, when the reply stopped at the limit and can be resumed. */
  next(): string | undefined {
    return this.resumable ? this.token : undefined;
  }
}

async function* streamGemini(
  transport: GeminiTransport,
  root: string,
  context: Context,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const problem = invalidModel(context.model);
  if (problem !== undefined) throw new InStreamError(problem, { code: 'INVALID_ARGUMENT' });
  const url = geminiStreamUrl(root, context.model);
  const translator = new GeminiStreamTranslator();
  let token: string | undefined;
  // The reply's continuations share one bound (MAX_ANSWER_BYTES), not one each.
  let received = 0;
  for (let request = 1; ; request++) {
    const body = geminiRequestJson(context, token);
    const reader = new GeminiEventReader(await postGemini(transport, url, body, signal), received);
    const continuation = new Continuation(token);
    try {
      for (let batch = await reader.next(); batch !== undefined; batch = await reader.next()) {
        for (const data of batch) {
          const chunk = reader.chunk(data);
          if (request < MAX_GEMINI_REQUESTS_PER_REPLY) continuation.observe(chunk);
          for (const event of translator.handle(chunk)) yield event;
        }
      }
    } finally {
      reader.cancel();
    }
    received = reader.receivedBytes;
    token = continuation.next();
    if (token === undefined) break;
    translator.continued();
  }
  for (const event of translator.end()) yield event;
}

export function createGeminiProvider(options: AdapterOptions): Provider {
  const root = geminiApiRoot(options.baseURL);
  const headers = geminiHeaders(apiKeyOf(options), options.extraHeaders);
  return defineAdapter(options, 'gemini', (context) => ({
    describe: describeGeminiError,
    run: (signal) =>
      streamGemini({ fetch: options.fetch, timeoutMs: options.timeoutMs, headers }, root, context, signal),
  }));
}
