/** What every adapter factory takes: where the API is and how to authenticate. */
export interface AdapterOptions {
  /** Registry name, e.g. "openai" or "openrouter"; used in errors and on the Provider. */
  name: string;
  /**
   * openai / openai_responses: including the version path (http://127.0.0.1:1234/v1);
   * anthropic and gemini: the origin (the Anthropic SDK and our Gemini wire code add /v1/messages
   * and /v1beta/models/...).
   */
  baseURL: string;
  /** May be absent for local OpenAI-compatible servers. */
  apiKey?: string;
  extraHeaders?: Record<string, string>;
  /** How long to wait for the response to start (not the whole stream). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** llama_cpp only: how the model file is loaded and run in this process. */
  local?: LocalModelSettings;
}

/** The llama_cpp entry's keys (context_size, gpu_layers, threads, tool_choice, max_output_tokens), camelCased. */
export interface LocalModelSettings {
  contextSize?: number;
  gpuLayers?: number;
  threads?: number;
  toolChoice?: 'auto' | 'required';
  /** The entry's max_output_tokens: the bound of a call that sets none (the runtime sets none). */
  maxOutputTokens?: number;
}

/**
 * Sent when no key is configured (local servers ignore it): the Anthropic SDK refuses to run
 * without one, and the OpenAI and Gemini requests carry it where the SDKs they replaced did.
 * Never a real credential, so the Anthropic SDK never falls back to environment variables.
 */
export const PLACEHOLDER_API_KEY = 'no-api-key';

export function apiKeyOf(options: AdapterOptions): string {
  return options.apiKey !== undefined && options.apiKey !== '' ? options.apiKey : PLACEHOLDER_API_KEY;
}
