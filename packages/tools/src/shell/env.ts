/**
 * The environment a shell command gets: an allowlist, never a copy of ours. This process holds
 * provider keys (OPENAI_API_KEY, ...) that a command — or a prompt-injected model — could print
 * or send away.
 */

/** What ordinary commands need to find programs, write temp files and print text. */
export const BASE_ENV_KEYS: readonly string[] = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TERM', 'TMPDIR', 'USER'];

const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The allowlisted variables of `source` plus `extraKeys` ([tools.shell] env_keys, the user's choice). */
export function commandEnvironment(
  source: Readonly<Record<string, string | undefined>>,
  extraKeys: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of [...BASE_ENV_KEYS, ...extraKeys]) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  env.PATH ??= FALLBACK_PATH;
  return env;
}
