/**
 * Which user a runner command is for: the one named with --user, or the only one runner.toml
 * defines. Anything else is a one-line error that says how to fix it.
 */
import type { LoadedRunnerConfig } from '@oxydra/config/admin';
import { ConfigError, didYouMean, UsageError } from '@oxydra/types';

export function resolveRunnerUser(loaded: LoadedRunnerConfig, requested: string | undefined): string {
  const known = Object.keys(loaded.users);
  if (requested !== undefined) {
    if (loaded.users[requested]) return requested;
    throw new UsageError(
      `--user ${requested}: no such user in ${loaded.path}${didYouMean(requested, known)}`,
      {
        hint:
          known.length > 0
            ? `known users: ${known.join(', ')}`
            : `add [users.${requested}] with config_path = "users/${requested}.toml" to ${loaded.path}`,
      },
    );
  }
  if (known.length === 1) return known[0]!;
  if (known.length === 0) {
    throw new ConfigError(
      `${loaded.path} defines no users`,
      { source: loaded.path, keyPath: 'users' },
      { hint: 'add [users.<id>] with config_path = "users/<id>.toml" and create that file' },
    );
  }
  throw new UsageError(
    `${loaded.path} defines ${known.length} users (${known.join(', ')}); say which with --user`,
    {
      hint: `e.g. --user ${known[0]}`,
    },
  );
}
