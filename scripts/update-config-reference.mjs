#!/usr/bin/env node
// Regenerate the configuration reference block in docs/configuration.md from the zod schemas.
// Run after `npm run build`: npm run docs:config
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '@oxydra/config/admin';

const path = new URL('../docs/configuration.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withConfigReference(before);
writeFileSync(path, after);
process.stdout.write(
  before === after
    ? 'docs/configuration.md config reference already up to date\n'
    : 'docs/configuration.md config reference updated\n',
);
