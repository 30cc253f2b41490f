import { maskSecrets } from '@oxydra/types';
import { stringify } from 'smol-toml';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { EXIT_OK } from '../exit.js';
import { loadCliConfig } from '../run/load-config.js';

export async function runConfigShow(
  options: ConfigFlagValues & { json?: boolean; sources?: boolean },
): Promise<number> {
  const loaded = await loadCliConfig({ ask: false, cli: await toCliOverrides(options) });
  const masked = maskSecrets(loaded.config);
  if (options.json) {
    const output = options.sources
      ? { config: masked, sources: Object.fromEntries(loaded.provenance) }
      : masked;
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines = [`# Effective Oxydra configuration (secrets masked)`];
  const found = loaded.files.filter((file) => file.found).map((file) => file.path);
  lines.push(`# files: ${found.length > 0 ? found.join(', ') : 'none (built-in defaults)'}`);
  if (loaded.envVariables.length > 0) lines.push(`# environment: ${loaded.envVariables.join(', ')}`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n${stringify(masked)}\n`);
  if (options.sources) {
    process.stdout.write(
      '\n# Where each key was set (lowest precedence first: defaults, files, environment, flags)\n',
    );
    for (const [key, source] of [...loaded.provenance].sort(([a], [b]) => a.localeCompare(b))) {
      process.stdout.write(`# ${key} <- ${source}\n`);
    }
  }
  return EXIT_OK;
}
