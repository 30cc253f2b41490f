// bench/sdk-vs-fetch.mjs: the openai SDK as the OpenAI adapters used it until issue 18.4
// (adapters/openai/client.ts and errors.ts, openai-chat/provider.ts and openai-responses/provider.ts
// of that time). The benchmark imports `openai` (a dev dependency) and passes it in.
import { nonEmpty } from './fetch-prototype.mjs';
import {
  chatEvents,
  chatRequests,
  responsesEvents,
  responsesRequests,
  sharedErrors,
} from './provider-internals.mjs';

/** The SDK's alternatives to the OpenAI adapters, built on the given `openai` exports. */
export function openaiSdkAlternatives({ OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError }) {
  function sdkClient(options) {
    return new OpenAI({
      apiKey: nonEmpty(options.apiKey) ?? 'no-api-key',
      baseURL: options.baseURL,
      maxRetries: 0,
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      ...(options.extraHeaders !== undefined ? { defaultHeaders: options.extraHeaders } : {}),
    });
  }

  function describeOpenAISdk(error) {
    const connection = sharedErrors.sdkConnectionFacts(error, {
      timeout: APIConnectionTimeoutError,
      connection: APIConnectionError,
    });
    if (connection) return connection;
    if (!(error instanceof APIError)) return undefined;
    const facts = { message: nonEmpty(error.error?.message) ?? error.message.replace(/^\d{3}\s+/, '') };
    if (error.status !== undefined) facts.status = error.status;
    if (error.headers !== undefined) facts.headers = error.headers;
    if (nonEmpty(error.code)) facts.code = error.code;
    if (nonEmpty(error.type)) facts.type = error.type;
    return facts;
  }

  const openaiChatSdk = (options) => {
    const client = sdkClient(options);
    return async function* (context, signal) {
      const body = chatRequests.chatRequest(context, { provider: options.name, baseURL: options.baseURL });
      const { data: stream, response } = await client.chat.completions
        .create(body, { signal })
        .withResponse();
      const translator = new chatEvents.ChatStreamTranslator();
      if (response.headers.get('content-type')?.includes('application/json')) {
        yield* translator.handleCompletion(await response.json());
        yield* translator.end();
        return;
      }
      for await (const chunk of stream) yield* translator.handle(chunk);
      yield* translator.end();
    };
  };

  const openaiResponsesSdk = (options) => {
    const client = sdkClient(options);
    return async function* (context, signal) {
      const { instructions, items } = responsesRequests.responsesInput(context, options.name);
      const body = responsesRequests.responsesRequest(context, items, instructions, undefined);
      const stream = await client.responses.create(body, { signal });
      const translator = new responsesEvents.ResponsesStreamTranslator();
      for await (const event of stream) yield* translator.handle(event);
      yield* translator.end();
    };
  };

  return { describeOpenAISdk, openaiChatSdk, openaiResponsesSdk };
}
