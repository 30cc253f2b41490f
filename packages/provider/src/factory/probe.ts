/**
 * `oxydra doctor`'s reachability check: list the models an entry's server offers (`GET
 * {base_url}/models` for OpenAI-type APIs, each API's own listing otherwise: WIRE_FACTS'
 * listModels), with the key the entry would be sent, and say precisely what went wrong when
 * that fails.
 *
 * A listing that answered proves the key only if the server checks keys there: many
 * OpenAI-compatible servers list their models to anyone, whatever key comes. So the listing is
 * asked once more without the key; refused, the key was checked and accepted. Nothing cheaper
 * than a model call (which costs money) would prove it on a server that lists to anyone.
 */

import { type ModelListing, type ProviderEntry, WIRE_FACTS } from '@oxydra/types';
import { keyRefusalReason } from '../adapters/gemini/errors.js';
import { readJsonBounded } from '../shared/bounded.js';
import { diagnoseNetworkError, missingVersionHint } from '../shared/diagnose.js';
import { InStreamError } from '../shared/errors.js';
import { refusingRedirects } from '../shared/http.js';
import { entryBaseURL, resolveCredential } from './credentials.js';

/**
 * What the listing proved about the entry's key: `accepted` (the server refuses the listing
 * without one), `unchecked` (it lists without one too, so any key would have passed), `none`
 * (no key was sent).
 */
export type ProbedKey = 'accepted' | 'unchecked' | 'none';

export type ProbeResult =
  /** `ids`: the model ids the server listed (Gemini's without their `models/` prefix). */
  | { ok: true; url: string; models: number; ids: string[]; key: ProbedKey }
  | { ok: false; url: string; problem: string; hint?: string };

export interface ProbeOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The listing's address and headers: the entry's base URL, its wire API's listModels. */
function listing(
  entry: ProviderEntry,
  listModels: ModelListing,
  apiKey: string | undefined,
): { url: string; headers: Record<string, string> } {
  const base = entryBaseURL(entry).replace(/\/+$/, '');
  const headers: Record<string, string> = { ...entry.extra_headers };
  if (apiKey) headers[listModels.keyHeader] = `${listModels.keyPrefix ?? ''}${apiKey}`;
  Object.assign(headers, listModels.headers);
  return { url: `${base}${listModels.path}`, headers };
}

/** The listed models' ids (`data[].id`, or Gemini's `models[].name`), or undefined: not a list. */
function modelIds(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const list = (body as { data?: unknown; models?: unknown }).data ?? (body as { models?: unknown }).models;
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((model: unknown) => {
    if (typeof model !== 'object' || model === null) return [];
    const { id, name } = model as { id?: unknown; name?: unknown };
    const value = typeof id === 'string' ? id : typeof name === 'string' ? name : undefined;
    return value === undefined ? [] : [value.replace(/^models\//, '')];
  });
}

/**
 * Whether `model` is among the listed `ids`: exactly, or as Ollama lists a model pulled without
 * a tag (`llama3.2` is served as `llama3.2:latest`).
 */
export function servesModel(ids: readonly string[], model: string): boolean {
  return ids.includes(model) || (!model.includes(':') && ids.includes(`${model}:latest`));
}

const KEY_REFUSED_HINT =
  'the server refused the key (or wants one): check api_key / api_key_env for this entry';

function statusHint(status: number, entry: ProviderEntry): string | undefined {
  if (status === 401 || status === 403) return KEY_REFUSED_HINT;
  if (status === 404 && WIRE_FACTS[entry.provider_type].versionedBaseUrl) {
    return missingVersionHint(entryBaseURL(entry));
  }
  return undefined;
}

/**
 * The most a model listing may hold: a listing is ids with a few fields each, and this is
 * several times the largest we know of (OpenRouter's: some hundreds of models, each with a
 * description and prices).
 */
export const MAX_LISTING_BYTES = 8 * 1024 * 1024;

export async function probeEndpoint(entry: ProviderEntry, options: ProbeOptions = {}): Promise<ProbeResult> {
  const facts = WIRE_FACTS[entry.provider_type];
  // A model run in process (doctor checks its file instead) has no server to ask.
  if (facts.inProcess) {
    return {
      ok: false,
      url: '',
      problem: `${entry.provider_type} runs its model in this process: no server lists it`,
    };
  }
  const { listModels } = facts;
  const credential = resolveCredential(entry, options.env ?? process.env);
  const { url, headers } = listing(entry, listModels, credential?.apiKey);
  const shown = url.replace(/\/\/[^/@]*@/, '//');
  let response: Response;
  try {
    response = await get(url, headers, options);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return {
        ok: false,
        url: shown,
        problem: `${shown}: no answer within ${(options.timeoutMs ?? 5000) / 1000} s`,
        hint: 'is the server overloaded or the host firewalled?',
      };
    }
    if (error instanceof InStreamError) return { ok: false, url: shown, problem: error.message };
    const diagnosis = diagnoseNetworkError(error);
    return diagnosis
      ? { ok: false, url: shown, problem: `cannot reach ${shown}: ${diagnosis.reason}`, hint: diagnosis.hint }
      : { ok: false, url: shown, problem: `cannot reach ${shown}: ${(error as Error).message}` };
  }
  if (!response.ok) {
    const keyRefused = await refusesKey(response, listModels);
    const hint = keyRefused ? KEY_REFUSED_HINT : statusHint(response.status, entry);
    return {
      ok: false,
      url: shown,
      problem: `${shown} answered HTTP ${response.status}`,
      ...(hint ? { hint } : {}),
    };
  }
  let listed: unknown;
  try {
    listed = await readJsonBounded(response, MAX_LISTING_BYTES, 'a model listing');
  } catch (error) {
    if (error instanceof InStreamError) return { ok: false, url: shown, problem: error.message };
  }
  const ids = modelIds(listed);
  if (ids === undefined) {
    return {
      ok: false,
      url: shown,
      problem: `${shown} answered, but not with a model list`,
      hint: "is this the API's base URL?",
    };
  }
  const key = credential?.apiKey ? await keyChecked(entry, listModels, options) : 'none';
  return { ok: true, url: shown, models: ids.length, ids, key };
}

function get(url: string, headers: Record<string, string>, options: ProbeOptions): Promise<Response> {
  // Redirects refused: a followed one would carry the key headers to another address.
  return refusingRedirects(options.fetch)(url, {
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  });
}

/**
 * Whether a failed listing says the key is wrong where its status does not: Gemini (listModels'
 * keyRefusedWith400) answers a key it does not know with 400 INVALID_ARGUMENT and the reason
 * API_KEY_INVALID in its details. The
 * body (no more than its first REFUSAL_BODY_BYTES, which is all `get` keeps of a refusal) is read
 * only for that answer; any other is dropped unread.
 */
async function refusesKey(response: Response, listModels: ModelListing): Promise<boolean> {
  if (response.status !== 400 || !listModels.keyRefusedWith400) {
    await response.body?.cancel();
    return false;
  }
  try {
    const body = JSON.parse(await response.text()) as { error?: { details?: unknown } } | null;
    return keyRefusalReason(body?.error?.details) !== undefined;
  } catch {
    // Cut at the bound or not JSON: Google's refusal is a few hundred bytes of JSON.
    return false;
  }
}

/** Whether the server that listed its models with the key refuses to without it (a free GET). */
async function keyChecked(
  entry: ProviderEntry,
  listModels: ModelListing,
  options: ProbeOptions,
): Promise<ProbedKey> {
  const { url, headers } = listing(entry, listModels, undefined);
  try {
    const response = await get(url, headers, options);
    await response.body?.cancel();
    return response.status === 401 || response.status === 403 ? 'accepted' : 'unchecked';
  } catch {
    // No answer this time: nothing proves the key was checked.
    return 'unchecked';
  }
}
