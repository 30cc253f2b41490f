/**
 * @oxydra/testkit: deterministic offline testing for agents. Mock LLM servers that speak the
 * OpenAI Chat, OpenAI Responses, Anthropic and Gemini wire protocols byte for byte, driven by
 * JSON scenarios or recorded fixtures, with fault injection.
 */
import type { ProviderType } from '@oxydra/types';
import type { MockApi } from './wire/index.js';

export { type MockLlmCliIo, runMockLlmCli } from './cli.js';
export { type HandClock, handClock } from './clock.js';
export { seededRandom } from './embeddings-vectors.js';
export { fixtureToWire, type LineEndingOption } from './fixtures.js';
export { type TinyGgufOptions, tinyGguf, writeTinyGguf } from './gguf.js';
export {
  instantProvider,
  replyEvents,
  type Script,
  type ScriptedCall,
  type ScriptedProvider,
  type ScriptedReply,
  scriptedAdapters,
  scriptedProvider,
} from './in-process.js';
export {
  type ChunkSpec,
  type InStreamError,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioFault,
  type ScenarioReply,
  type ScenarioStep,
  type ScenarioToolCall,
  type ScenarioUsage,
  type StatusFault,
  type StepMatch,
  type StreamFault,
} from './scenario.js';
export { startMockLLM } from './server.js';
export type { MockLLM, MockLLMOptions, RecordedRequest } from './types.js';
export { MOCK_APIS, type MockApi } from './wire/index.js';

/** null: the type has no wire (llama_cpp runs in process; tests write a tiny GGUF with writeTinyGguf). */
const API_BY_PROVIDER: Record<ProviderType, MockApi | null> = {
  openai: 'openai-chat',
  openai_responses: 'openai-responses',
  anthropic: 'anthropic',
  gemini: 'gemini',
  llama_cpp: null,
};

/** The provider types a mock server can stand in for (all but the in-process ones). */
export const MOCKED_PROVIDER_TYPES = (Object.keys(API_BY_PROVIDER) as ProviderType[]).filter(
  (type) => API_BY_PROVIDER[type] !== null,
);

/**
 * Each provider type a mock server can stand in for, with the mock API it speaks, in
 * API_BY_PROVIDER's order: what tests loop over to cover every wire, a new one included.
 */
export const MOCKED_PROVIDERS: readonly { type: ProviderType; api: MockApi }[] = MOCKED_PROVIDER_TYPES.map(
  (type) => ({ type, api: mockApiForProvider(type) }),
);

/** The mock API that speaks a configured provider type's wire protocol. */
export function mockApiForProvider(type: ProviderType): MockApi {
  const api = API_BY_PROVIDER[type];
  if (api === null) throw new Error(`provider type ${type} has no wire for a mock server to speak`);
  return api;
}
