/** The OpenAI SDK client both OpenAI adapters (Chat Completions and Responses) use. */
import OpenAI from 'openai';
import { type AdapterOptions, apiKeyOf } from '../options.js';

export function createOpenAIClient(options: AdapterOptions): OpenAI {
  return new OpenAI({
    apiKey: apiKeyOf(options),
    baseURL: options.baseURL,
    // Our reliability wrapper retries; SDK retries would multiply its attempts.
    maxRetries: 0,
    // Explicit nulls keep the SDK from reading OPENAI_ORG_ID & co. from the environment and
    // sending them to whatever server this provider points at.
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(options.extraHeaders !== undefined ? { defaultHeaders: options.extraHeaders } : {}),
  });
}
