/**
 * The questions `oxydra init` asks a person at a terminal: provider (or a local server, whose
 * models are listed by asking it, as doctor does), model, and where the key is to come from.
 * It only gathers an InitPlan; init.ts writes it as it writes what the flags say. @clack/prompts
 * is imported with this module, which init loads only when it is going to ask.
 * Ctrl-C or Esc at any question ends with nothing written.
 */
import { isAbsolute } from 'node:path';
import { cancel, confirm, intro, isCancel, log, note, password, select, text } from '@clack/prompts';
import { pastedKeyProblem, variableNameProblem } from './init-key.js';
import { hostedModelProblem } from './init-model.js';
import { DEFAULT_MODELS, type InitPlan, PROVIDER_KEY_ENV } from './init-template.js';

/** Ollama's address: the commonest local server. */
const DEFAULT_LOCAL_URL = 'http://127.0.0.1:11434/v1';

const LOCAL = 'local';
const OTHER_MODEL = '\0other';

/** Thrown by `answer` at a cancelled question; caught once, in askInit. */
class Cancelled extends Error {}

function answer<T>(value: T): Exclude<T, symbol> {
  if (isCancel(value)) throw new Cancelled();
  return value as Exclude<T, symbol>;
}

function urlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // Said below.
  }
  return 'an http:// or https:// address, e.g. http://127.0.0.1:11434/v1';
}

async function askProvider(): Promise<string> {
  return answer(
    await select({
      message: 'Which model provider?',
      options: [
        { value: 'openai', label: 'OpenAI' },
        { value: 'anthropic', label: 'Anthropic' },
        { value: 'gemini', label: 'Google Gemini' },
        {
          value: LOCAL,
          label: 'A local or other OpenAI-compatible server',
          hint: 'Ollama, vLLM, llama.cpp, LM Studio...',
        },
      ],
    }),
  );
}

async function askBaseUrl(): Promise<string> {
  const url = answer(
    await text({
      message: 'Its base URL (OpenAI-type APIs end in /v1)',
      placeholder: DEFAULT_LOCAL_URL,
      defaultValue: DEFAULT_LOCAL_URL,
      validate: (value) => (value ? urlProblem(value.trim()) : undefined),
    }),
  );
  return url.trim();
}

async function typedModel(
  message: string,
  defaultModel?: string,
  problem?: (model: string) => string | undefined,
): Promise<string> {
  const model = answer(
    await text({
      message,
      ...(defaultModel ? { placeholder: defaultModel, defaultValue: defaultModel } : {}),
      validate: (value) => {
        const typed = value?.trim();
        if (!typed) return defaultModel ? undefined : 'the model id, as the server names it (e.g. llama3.2)';
        return problem?.(typed);
      },
    }),
  );
  return model.trim();
}

/**
 * The ids offered: the server chooses them, so one carrying terminal control sequences (or
 * invisible format characters that reorder text) is not shown, and a list of thousands is cut.
 */
const MODEL_ID = /^[^\s\p{Cc}\p{Cf}]{1,200}$/u;
const MAX_LISTED = 500;

/** Text for the screen with control and format characters shown as `?`. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?');
}

/** The models the server lists, to pick from; typed in when it lists none or cannot be asked. */
async function askLocalModel(baseUrl: string): Promise<string> {
  const { probeEndpoint } = await import('@oxydra/provider');
  // No key sent: this server has been given none yet.
  const probe = await probeEndpoint(
    { provider_type: 'openai', base_url: baseUrl, extra_headers: {} },
    { env: {}, timeoutMs: 5000 },
  );
  if (!probe.ok) {
    log.warn(`${printable(probe.problem)}${probe.hint ? `\n${printable(probe.hint)}` : ''}`);
    return typedModel('Model id (could not list what the server serves)');
  }
  const ids = probe.ids.filter((id) => MODEL_ID.test(id)).slice(0, MAX_LISTED);
  if (ids.length === 0) {
    log.warn(`${printable(probe.url)} lists no model yet (for Ollama: ollama pull <model>)`);
    return typedModel('Model id to use once it is there');
  }
  const picked = answer(
    await select({
      message: `Model (${ids.length} served at ${printable(baseUrl)})`,
      options: [
        ...ids.map((id) => ({ value: id, label: id })),
        { value: OTHER_MODEL, label: 'another (type its id)' },
      ],
      maxItems: 12,
    }),
  );
  return picked === OTHER_MODEL ? typedModel('Model id') : picked;
}

type KeyChoice = 'env' | 'paste' | 'none';

/**
 * Where the key comes from. A local server is offered no pasted key: stored under the user's
 * entry named "local", it would go to whatever server a workspace's "local" entry names.
 */
async function askKeyChoice(provider: string, providersFile: string): Promise<KeyChoice> {
  const variable = PROVIDER_KEY_ENV[provider];
  const options: { value: KeyChoice; label: string; hint?: string }[] =
    provider === LOCAL
      ? [
          { value: 'none', label: 'None: the server needs no key' },
          { value: 'env', label: 'An environment variable you name' },
        ]
      : [
          { value: 'env', label: 'An environment variable', hint: `${variable}, or one you name` },
          // Not offered where storeKey would refuse (a relative XDG_CONFIG_HOME).
          ...(isAbsolute(providersFile)
            ? [
                {
                  value: 'paste' as const,
                  label: 'Paste it now',
                  hint: `kept in ${providersFile}, readable only by you`,
                },
              ]
            : []),
          { value: 'none', label: 'Not now' },
        ];
  return answer(await select({ message: 'Where is the API key to come from?', options }));
}

async function askVariable(defaultName: string | undefined): Promise<string> {
  const name = answer(
    await text({
      message: 'Name of the environment variable',
      ...(defaultName ? { placeholder: defaultName, defaultValue: defaultName } : {}),
      validate: (value) => {
        const typed = value?.trim() ?? '';
        if (typed === '') return defaultName ? undefined : 'e.g. LOCAL_API_KEY';
        return variableNameProblem(typed);
      },
    }),
  );
  return name.trim();
}

async function askKey(): Promise<string> {
  // Masked as typed, and never echoed: not on the screen, in a message or in the summary.
  return answer(await password({ message: 'Paste the API key', validate: pastedKeyProblem })).trim();
}

function summary(plan: InitPlan, keyLine: string): string {
  return [
    `provider  ${plan.baseUrl ? `local (${plan.baseUrl})` : plan.provider}`,
    `model     ${plan.model}`,
    `key       ${keyLine}`,
    `writes    .oxydra/agent.toml${plan.apiKey ? ', and the key to your providers.toml' : ''}`,
  ].join('\n');
}

/**
 * The plan the answers make; 'cancelled' (Ctrl-C, Esc) or 'declined' (no at the summary):
 * nothing is to be written.
 */
export async function askInit(providersFile: string): Promise<InitPlan | 'cancelled' | 'declined'> {
  intro('oxydra init: set up this folder');
  // Loaded while the first question is on screen.
  const checker = hostedModelProblem();
  // Awaited only for a hosted provider; a failure is reported there, not as an unhandled rejection.
  checker.catch(() => {});
  try {
    const provider = await askProvider();
    const baseUrl = provider === LOCAL ? await askBaseUrl() : undefined;
    // A hosted id is checked as it is typed, as a run would check it: not after the summary.
    let model: string;
    if (baseUrl) {
      model = await askLocalModel(baseUrl);
    } else {
      const problem = await checker;
      model = await typedModel('Model', DEFAULT_MODELS[provider], (id) => problem(provider, id));
    }
    const plan: InitPlan = { provider, model, ...(baseUrl ? { baseUrl } : {}) };
    const choice = await askKeyChoice(provider, providersFile);
    let keyLine = 'none';
    if (choice === 'env') {
      const variable = await askVariable(PROVIDER_KEY_ENV[provider]);
      // The provider's own variable is read without api_key_env; any other must be named.
      if (variable !== PROVIDER_KEY_ENV[provider]) plan.apiKeyEnv = variable;
      keyLine = `from $${variable} (export it before running oxydra)`;
    } else if (choice === 'paste') {
      plan.apiKey = await askKey();
      keyLine = `stored in ${providersFile} (mode 0600)`;
    } else if (provider !== LOCAL) {
      keyLine = `none yet: export ${PROVIDER_KEY_ENV[provider]} later`;
    }
    note(summary(plan, keyLine), 'Summary');
    if (answer(await confirm({ message: 'Write it?' }))) return plan;
    cancel('nothing written');
    return 'declined';
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
    cancel('cancelled: nothing written');
    return 'cancelled';
  }
}
