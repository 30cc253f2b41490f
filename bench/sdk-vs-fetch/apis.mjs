// bench/sdk-vs-fetch.mjs: the four wire APIs, each with its adapter, its alternative and its fixtures.
import {
  anthropicWire,
  describeAnthropic,
  describeGemini,
  fetchProvider,
  geminiWire,
} from './fetch-prototype.mjs';

/** Per wire API: the adapter's type, the mock's API, the fixtures' folder and the alternative. */
export function apiSpecs({ describeOpenAISdk, openaiChatSdk, openaiResponsesSdk }) {
  return [
    {
      type: 'openai',
      api: 'openai-chat',
      fixtures: 'openai-chat',
      // Since issue 18.4 the adapter has no SDK: (b) is the openai SDK it used until then.
      sdk: 'none (fetch + eventsource-parser; was openai)',
      alternative_is: 'openai SDK (the transport until issue 18.4)',
      alternative: fetchProvider('openai', undefined, describeOpenAISdk, openaiChatSdk),
    },
    {
      type: 'openai_responses',
      api: 'openai-responses',
      fixtures: 'openai-responses',
      sdk: 'none (fetch + eventsource-parser; was openai)',
      alternative_is: 'openai SDK (the transport until issue 18.4)',
      alternative: fetchProvider('openai_responses', undefined, describeOpenAISdk, openaiResponsesSdk),
    },
    {
      type: 'anthropic',
      api: 'anthropic',
      fixtures: 'anthropic-messages',
      sdk: '@anthropic-ai/sdk',
      alternative_is: 'fetch + eventsource-parser prototype',
      alternative: fetchProvider('anthropic', anthropicWire, describeAnthropic),
    },
    {
      type: 'gemini',
      api: 'gemini',
      fixtures: 'gemini',
      // Since the switch the adapter has no SDK: (a) is our fetch + eventsource-parser transport.
      sdk: 'none (fetch + eventsource-parser; was @google/genai)',
      alternative_is: 'fetch + eventsource-parser prototype',
      alternative: fetchProvider('gemini', geminiWire, describeGemini),
    },
  ];
}
