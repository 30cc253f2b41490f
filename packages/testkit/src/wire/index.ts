/** The four wire APIs by name. */
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openAiChat } from './openai-chat.js';
import { openAiResponses } from './openai-responses.js';
import type { MockApi, WireApi } from './types.js';

export const WIRES: Readonly<Record<MockApi, WireApi>> = {
  'openai-chat': openAiChat,
  'openai-responses': openAiResponses,
  anthropic,
  gemini,
};

export type { MockApi, WireApi } from './types.js';
export { MOCK_APIS } from './types.js';
