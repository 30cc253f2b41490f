import { maskSecrets, visibleLine } from '@oxydra/types';
import { stringify } from 'smol-toml';
import { type ConfigFlagValues, toCliOverrides } from '../config-flags.js';
import { EXIT_OK } from '../exit-codes.js';
import { loadCliConfig } from '../run/load-config.js';
import { printLines } from '../run/print.js';

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
  // TOML escapes C0 controls itself but leaves C1 ones (\x9b, a CSI) and bidi overrides as they
  // are, in keys and values a cloned repository's file wrote: those are written out.
  printLines(`${lines.join('\n')}\n${stringify(masked)}\n`);
  if (options.sources) {
    process.stdout.write(
      '\n# Where each key was set (lowest precedence first: defaults, files, environment, flags)\n',
    );
    for (const [key, source] of [...loaded.provenance].sort(([a], [b]) => a.localeCompare(b))) {
      printLines(`# ${visibleLine(key)} <- ${visibleLine(source)}\n`);
    }
  }
  return EXIT_OK;
}
