/**
 * The search through ripgrep, when it is installed: fast, and the reference for what the JS
 * fallback imitates. Flags make it independent of the user's rg config and global git excludes,
 * and make it honour .gitignore outside git repositories too, as the fallback does.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Cancelled } from '@oxydra/types';
import { SKIPPED_DIRS } from '../fs/names.js';
import type { SearchMatch, SearchRequest, SearchResult } from './types.js';
import { keptText, MAX_SEARCHED_FILE_BYTES } from './types.js';

interface RgText {
  text?: string;
  bytes?: string;
}

const textOf = (value: RgText | undefined): string =>
  value?.text ?? (value?.bytes ? Buffer.from(value.bytes, 'base64').toString('utf8') : '');

function parseMatch(line: string): SearchMatch | undefined {
  let event: { type?: string; data?: { path?: RgText; lines?: RgText; line_number?: number } };
  try {
    event = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (event.type !== 'match' || !event.data) return undefined;
  return {
    path: textOf(event.data.path).replace(/^\.\//, ''),
    line: event.data.line_number ?? 0,
    text: keptText(textOf(event.data.lines).replace(/\r?\n$/, '')),
  };
}

export function searchWithRg(rgPath: string): (request: SearchRequest) => Promise<SearchResult> {
  return (request) =>
    new Promise<SearchResult>((resolve, reject) => {
      const args = [
        '--json',
        '--no-config',
        '--fixed-strings',
        '--smart-case',
        '--sort',
        'path', // one thread, but stable output: the same answer twice
        '--hidden',
        '--no-require-git',
        '--no-ignore-dot',
        '--no-ignore-global',
        '--no-ignore-exclude',
        // As the JS walk: each match is one JSON line holding the whole matching line, which
        // from a file a command wrote could be longer than a JavaScript string may be.
        '--max-filesize',
        String(MAX_SEARCHED_FILE_BYTES),
        ...[...SKIPPED_DIRS].flatMap((name) => ['--glob', `!${name}`]),
        '--',
        request.query,
        request.target,
      ];
      const child = spawn(rgPath, args, {
        cwd: request.root,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const matches: SearchMatch[] = [];
      let stderr = '';
      let stopped = false;
      const stop = () => {
        stopped = true;
        child.kill('SIGKILL');
      };
      const onAbort = () => stop();
      request.signal.addEventListener('abort', onAbort, { once: true });

      createInterface({ input: child.stdout }).on('line', (line) => {
        if (stopped) return;
        const match = parseMatch(line);
        if (!match) return;
        matches.push(match);
        if (matches.length > request.maxMatches) stop();
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 4096) stderr += chunk;
      });
      child.on('error', (error) => {
        request.signal.removeEventListener('abort', onAbort);
        reject(new Error(`ripgrep (${rgPath}) could not run: ${error.message}`));
      });
      child.on('close', (code) => {
        request.signal.removeEventListener('abort', onAbort);
        if (request.signal.aborted) return reject(new Cancelled('file_search cancelled'));
        // 1: nothing found. 2: some files could not be read; what was found still counts.
        if (!stopped && code === 2 && matches.length === 0) {
          return reject(new Error(`ripgrep failed: ${stderr.trim().split('\n')[0] ?? 'unknown error'}`));
        }
        const truncated = matches.length > request.maxMatches;
        resolve({ matches: matches.slice(0, request.maxMatches), truncated });
      });
    });
}
