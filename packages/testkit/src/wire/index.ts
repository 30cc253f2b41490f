/**
 * The mock wire APIs. Each module names itself (`WireApi<'gemini'>`), so a new wire is its module
 * and its entry in `WIRE_LIST`: `MockApi`, `MOCK_APIS` (the `oxydra mock-llm --api` values) and
 * `WIRES` all come from this list.
 */
import { anthropic } from './anthropic.js';
import { gemini } from './gemini.js';
import { openAiChat } from './openai-chat.js';
import { openAiResponses } from './openai-responses.js';
import type { WireApi } from './types.js';

const WIRE_LIST = [openAiChat, openAiResponses, anthropic, gemini] as const;

export type MockApi = (typeof WIRE_LIST)[number]['api'];

export const MOCK_APIS: readonly MockApi[] = WIRE_LIST.map((wire) => wire.api);

/** One of the wires, its `api` one of their names. */
export type MockWire = WireApi<MockApi>;

export const WIRES = Object.fromEntries(WIRE_LIST.map((wire) => [wire.api, wire])) as Readonly<
  Record<MockApi, MockWire>
>;
