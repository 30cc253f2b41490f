import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_CONFIG_FILES, configDirectories, ENV_PREFIX } from '@oxydra/config';
import { EXIT_OK } from '../exit-codes.js';

export async function runConfigPath(options: { json?: boolean }): Promise<number> {
  const files = configDirectories().flatMap((directory) =>
    AGENT_CONFIG_FILES.map((name) => {
      const path = join(directory.path, name);
      return { scope: directory.scope, path, found: existsSync(path) };
    }),
  );
  const env = Object.keys(process.env)
    .filter((name) => name.startsWith(ENV_PREFIX))
    .sort();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ files, environment: env }, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines = ['Configuration sources, lowest precedence first:', '  1. built-in defaults'];
  for (const [i, file] of files.entries()) {
    lines.push(`  ${i + 2}. ${file.path}  [${file.scope}] ${file.found ? 'found' : 'not found'}`);
  }
  lines.push(
    `  ${files.length + 2}. environment: ${env.length > 0 ? env.join(', ') : `no ${ENV_PREFIX}* variables set`}`,
  );
  lines.push(`  ${files.length + 3}. command-line flags (--provider, --model, --base-url, --set)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
