#!/usr/bin/env node
// Entry point. `--version` is answered before anything else loads so it stays as fast as
// Node itself. Every other command runs from the bundle that `npm run build` makes (one set of
// large files loads much faster than hundreds of small ones); OXYDRA_NO_BUNDLE=1 runs the
// unbundled dist/ instead, for debugging with source-shaped stack traces.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { main } = process.env.OXYDRA_NO_BUNDLE
    ? await import('../dist/main.js')
    : await import('../bundle/main.mjs');
  await main(args);
  // The command is done. Idle keep-alive sockets and SDK timers would hold the process open
  // for a while longer; exit as soon as what was written has been flushed.
  const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}
