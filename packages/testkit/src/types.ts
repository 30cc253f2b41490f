/** The public shapes of a running mock server. */
import type { LineEndingOption } from './fixtures.js';
import type { Scenario, ScenarioStep } from './scenario.js';
import type { MockApi } from './wire/index.js';

/** One HTTP request the mock received, kept for assertions. */
export interface RecordedRequest {
  method: string;
  /** URL path without the query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Query parameters, e.g. `{ alt: 'sse' }` for Gemini streaming. */
  query: Record<string, string>;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body; undefined when the body is not a JSON object. */
  body: Record<string, unknown> | undefined;
  /** The body exactly as received. */
  raw: string;
  /** 0-based model call index, set when the request reached the API endpoint. */
  callIndex?: number;
}

export interface MockLLMOptions {
  api: MockApi;
  /** Steps to play; a bare array is the same as `{ steps }`. Validated at start. */
  scenario?: Scenario | ScenarioStep[];
  /** A recorded stream (`*.chunks.txt`) or body (`*.json`) served to every call no step answers. */
  fixture?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** SSE line ending; CRLF for Gemini (as Google sends), LF otherwise. */
  lineEnding?: LineEndingOption;
  /**
   * The model ids `GET /v1/models` lists (the mock answers a chat for any model). Default
   * DEFAULT_MOCK_MODELS: the ids the tests' configurations name; [] plays a server with none.
   */
  models?: readonly string[];
  /**
   * The key the model listing wants (as a hosted API does): without it, or with another, the
   * listing answers as the API does (401; Gemini: 403 without a key, 400 API_KEY_INVALID with
   * another). Unset: it lists to anyone, as many local servers do. Chats take any key.
   */
  modelsKey?: string;
}

export interface MockLLM {
  readonly api: MockApi;
  /** What a client uses as its base URL: `http://127.0.0.1:<port>/v1` for OpenAI APIs, the origin otherwise. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order (live array). */
  readonly requests: RecordedRequest[];
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
  /** Forget requests, restart the scenario from its first step and the call count from 0. */
  reset(): void;
}
