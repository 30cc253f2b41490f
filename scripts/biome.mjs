#!/usr/bin/env node
// Runs Biome's native binary from its platform package. We depend on the platform packages
// directly (root optionalDependencies) instead of @biomejs/biome, whose optional list names
// builds for every OS: registries that serve only some of them make a lockfile that `npm ci`
// rejects. Usage: node scripts/biome.mjs check [--write] [paths...]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const musl = process.platform === 'linux' && !process.report?.getReport?.().header?.glibcVersionRuntime;
const name = `@biomejs/cli-${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
let binary;
try {
  binary = require.resolve(`${name}/biome${process.platform === 'win32' ? '.exe' : ''}`);
} catch {
  process.stderr.write(
    `error: Biome's binary for this platform (${name}) is not installed; add it with: npm i --no-save ${name}@2.6.8\n`,
  );
  process.exit(2);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
