/**
 * What each wire API module provides. The server owns HTTP, recording, step selection and
 * faults; a wire module only knows its API's URLs, request shape, event names and field names.
 */
import type { ReplyPlan } from '../plan.js';
import type { SseEvent } from '../sse.js';
import type { CallView } from '../steps.js';

/** How the client asked to be answered. */
export type ResponseMode = 'sse' | 'json' | 'json-array';

export type JsonObject = Record<string, unknown>;

interface Route {
  /** Model named in the URL (Gemini). */
  model?: string;
  /** Set when the URL alone decides the mode (Gemini's two methods). */
  mode?: ResponseMode;
}

export interface CallContext {
  callIndex: number;
  model: string;
  body: JsonObject;
  mode: ResponseMode;
}

/** An error answer in the API's own envelope, status and message. */
export interface ErrorSpec {
  status: number;
  message?: string;
  contextOverflow?: boolean;
  previousResponseNotFound?: boolean;
  /** With status 400 on gemini: Google's wrong-key error (reason API_KEY_INVALID). */
  badKey?: boolean;
  retryAfter?: number;
  retryAfterMs?: number;
}

export interface WireError {
  status: number;
  /** The body text, serialised as the service does (Google pretty-prints its errors). */
  json: string;
  headers?: Record<string, string>;
}

/**
 * `Name`: the wire's own name, given by its module (`WireApi<'gemini'>`); `WIRE_LIST`
 * (wire/index.ts) reads it, and `MockWire` is a wire of any of those names.
 */
export interface WireApi<Name extends string = string> {
  /** Its name: `startMockLLM`'s `api` and `oxydra mock-llm --api` value. */
  readonly api: Name;
  /** The base URL path a client is configured with (`/v1` for OpenAI, none otherwise). */
  readonly basePath: string;
  /** The endpoint this request is for, or undefined for an unknown URL. */
  route(method: string, url: URL): Route | undefined;
  /** `sse`, `json` or `json-array`, from the route and the body's `stream` flag. */
  mode(route: Route, body: JsonObject): ResponseMode;
  /** The last message and last tool result of the request, for `match`. */
  view(body: JsonObject, callIndex: number): CallView;
  /** The reply as this API streams it, terminator included. */
  events(plan: ReplyPlan, ctx: CallContext): SseEvent[];
  /** The reply as one non-streaming body. */
  body(plan: ReplyPlan, ctx: CallContext): unknown;
  error(spec: ErrorSpec, ctx: CallContext | undefined): WireError;
  /**
   * How the model listing refuses a request without the key it wants (`keySent` false) or with
   * another key: the API's own answer. Unset: 401 both ways.
   */
  listingRefusal?(keySent: boolean): ErrorSpec;
  /** An in-stream error, sent after `sent` events (Responses numbers its events). */
  streamError(spec: ErrorSpec, ctx: CallContext, sent: number): SseEvent[];
  /** Recorded `data:` lines to events, as the fixtures README frames them. */
  fixtureEvents(lines: string[]): SseEvent[];
  /** Default status of an in-stream error when the scenario gives none. */
  readonly streamErrorStatus: number;
  /** Responses only: the id a request continues from. */
  previousResponseId?(body: JsonObject): string | undefined;
  /** Responses only: the id given to this call's response. */
  responseId?(ctx: CallContext): string;
}
