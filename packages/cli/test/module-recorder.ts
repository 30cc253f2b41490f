/**
 * A module hook that records every module Node loads, ES modules and CommonJS files alike (most
 * commands run from the CommonJS bundle), for "this command does not pay for that code" checks:
 * start a process with `--import <register>` (or NODE_OPTIONS=--import=<register>) and read the
 * URLs back with `loaded()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModuleRecorder {
  /** The file to `--import`: registers the hook. */
  register: string;
  /** Forgets what earlier processes loaded. */
  clear(): void;
  /** The URLs loaded since the last `clear()`, in load order. */
  loaded(): string[];
}

export function moduleRecorder(dir: string): ModuleRecorder {
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  const log = join(dir, 'loaded.txt');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }
`,
  );
  writeFileSync(
    register,
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(new URL(`file://${hooks}`).href)}, { data: { log: ${JSON.stringify(log)} } });
// require() of a CommonJS file passes no ES module hook on Node 20.
const load = Module.prototype.load;
Module.prototype.load = function (filename) {
  appendFileSync(${JSON.stringify(log)}, pathToFileURL(filename).href + '\\n');
  return load.call(this, filename);
};
`,
  );
  writeFileSync(log, '');
  return {
    register,
    clear: () => writeFileSync(log, ''),
    loaded: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean),
  };
}

/** Does any of these loaded files contain `marker` (a string only the code in question has)? */
export function anyContains(urls: string[], marker: string): boolean {
  return urls.some((url) => url.startsWith('file:') && readFileSync(new URL(url), 'utf8').includes(marker));
}
