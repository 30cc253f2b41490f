/**
 * The recorded provider streams in shared/fixtures/providers and their expected results
 * (the testkit serves the files; this module finds them and reads expected.json).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProviderResponse, Usage } from '@oxydra/types';

export const FIXTURES_URL = new URL('../../../../shared/fixtures/providers/', import.meta.url);

export type FixtureApi = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'gemini';

export interface ExpectedUsage {
  input?: number | null;
  output?: number | null;
  total?: number | null;
  cached?: number | null;
  cacheWrite?: number | null;
  reasoning?: number | null;
  toolUsePrompt?: number | null;
  raw: unknown;
}

export interface Expected {
  text: string;
  reasoning: string;
  toolCalls: { id: string | null; name: string; arguments: Record<string, unknown> }[];
  usage: ExpectedUsage | null;
  finishReason: string | null;
  error?: { message: string; code?: string; type?: string };
  stopDetails?: Record<string, unknown>;
  blockReason?: string;
}

export function fixturePath(api: FixtureApi, file: string): string {
  return fileURLToPath(new URL(`${api}/${file}`, FIXTURES_URL));
}

export function fixtureFiles(api: FixtureApi): string[] {
  return readdirSync(fileURLToPath(new URL(`${api}/`, FIXTURES_URL)))
    .filter((file) => file !== 'expected.json' && (file.endsWith('.chunks.txt') || file.endsWith('.json')))
    .sort();
}

export function expectedResults(api: FixtureApi): Record<string, Expected> {
  return JSON.parse(readFileSync(fixturePath(api, 'expected.json'), 'utf8')) as Record<string, Expected>;
}

/** What the adapters produced, in expected.json's vocabulary. */
export function observed(response: ProviderResponse) {
  return {
    text: response.message.content,
    reasoning: (response.message.reasoning ?? []).map((block) => block.text).join(''),
    toolCalls: response.toolCalls.map((call) => ({
      id: call.id,
      name: call.name,
      arguments: call.arguments,
    })),
    finishReason: response.rawFinishReason ?? null,
  };
}

const sum = (...values: (number | null | undefined)[]): number | undefined => {
  const reported = values.filter((value): value is number => typeof value === 'number');
  return reported.length === 0 ? undefined : reported.reduce((a, b) => a + b, 0);
};

type TokenField = Exclude<keyof Usage, 'raw' | 'costUsd'>;

const FIELD_OF: Record<string, TokenField> = {
  input: 'inputTokens',
  output: 'outputTokens',
  total: 'totalTokens',
  cached: 'cacheReadTokens',
  cacheWrite: 'cacheWriteTokens',
  reasoning: 'reasoningTokens',
};

/**
 * The Usage fields expected.json speaks about (null there = undefined here), keyed by our
 * names. expected.json lists the numbers as the wire reports them; @oxydra/types Usage
 * normalises two: inputTokens counts every prompt token (Anthropic's input_tokens excludes
 * cache reads and writes; Gemini reports tool-use prompt tokens apart) and outputTokens counts
 * reasoning (Gemini's candidatesTokenCount excludes thoughts).
 */
export function expectedUsage(api: FixtureApi, usage: ExpectedUsage): Partial<Record<TokenField, number>> {
  const out: Partial<Record<TokenField, number | undefined>> = {};
  for (const [key, target] of Object.entries(FIELD_OF)) {
    if (key in usage) out[target] = (usage[key as keyof ExpectedUsage] as number | null) ?? undefined;
  }
  if (api === 'anthropic-messages') out.inputTokens = sum(usage.input, usage.cached, usage.cacheWrite);
  if (api === 'gemini') {
    out.inputTokens = sum(usage.input, usage.toolUsePrompt);
    out.outputTokens = sum(usage.output, usage.reasoning);
  }
  return out as Partial<Record<TokenField, number>>;
}

/** Our usage restricted to the fields expected.json lists. */
export function usageFields(usage: Usage, expected: ExpectedUsage): Partial<Record<TokenField, number>> {
  const out: Partial<Record<TokenField, number | undefined>> = {};
  for (const [key, target] of Object.entries(FIELD_OF)) if (key in expected) out[target] = usage[target];
  return out as Partial<Record<TokenField, number>>;
}
