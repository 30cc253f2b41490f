/** Shared by the store-*.test.ts files: temp databases, sample messages and child processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { Message } from '@oxydra/types';
import { type MemoryDatabase, openMemory } from '../src/index.js';

export type TempDir = TempWorkspace;

export function tempDir(): TempDir {
  return tempWorkspace({ prefix: 'oxydra-memory-store-' });
}

/** A migrated database in a fresh temp dir; `cleanup` closes it and removes the dir. */
export async function tempMemory(): Promise<{
  memory: MemoryDatabase;
  tmp: TempDir;
  dbPath: string;
  cleanup(): Promise<void>;
}> {
  const tmp = tempDir();
  const dbPath = tmp.path('memory.db');
  const memory = await openMemory({ path: dbPath });
  return {
    memory,
    tmp,
    dbPath,
    async cleanup() {
      await memory.close();
      tmp.cleanup();
    },
  };
}

/** One message of each kind and shape the store must keep exactly. */
export function everyKindOfMessage(): Message[] {
  return [
    { role: 'system', content: 'You are a careful agent.' },
    { role: 'user', content: 'Read notes.txt, please.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'And look at this:' },
        {
          type: 'attachment',
          mimeType: 'image/png',
          data: Buffer.alloc(3000, 7).toString('base64'),
          name: 'shot.png',
        },
        { type: 'attachment', mimeType: 'application/pdf', data: Buffer.from('%PDF-1.7').toString('base64') },
      ],
    },
    {
      role: 'assistant',
      content: 'Reading it.',
      reasoning: [
        { text: 'The user wants the file.', signature: 'sig-1' },
        { text: '', encrypted: 'opaque==', id: 'rs_1' },
      ],
      toolCalls: [
        {
          id: 'call_1',
          name: 'file_read',
          arguments: { path: 'notes.txt' },
          rawArguments: '{"path":"notes.txt"}',
        },
        { id: 'call_2', name: 'file_list', arguments: {}, metadata: { thoughtSignature: 'abc' } },
      ],
    },
    { role: 'tool', toolCallId: 'call_1', toolName: 'file_read', content: 'line 1\nline 2' },
    {
      role: 'tool',
      toolCallId: 'call_2',
      toolName: 'file_list',
      content: 'permission denied',
      isError: true,
    },
    { role: 'assistant', content: 'The file has two lines. ü 🎉' },
  ];
}

const here = fileURLToPath(new URL('.', import.meta.url));
const CHILD = join(here, 'fixtures', 'store-child.mjs');
const DIST = join(here, '..', 'dist', 'index.js');

export interface Child {
  process: ChildProcess;
  /** Resolves with the next stdout line that starts with `prefix`. */
  nextLine(prefix: string): Promise<string>;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node fixtures/store-child.mjs <args>`, which imports the compiled package (dist):
 * build it first with `npx tsc -b packages/memory` (npm test does).
 */
export function spawnChild(args: string[]): Child {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npx tsc -b packages/memory\` first`);
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  let consumed = 0;
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const deliver = () => {
    while (waiters.length > 0 && consumed < lines.length) {
      const line = lines[consumed++] ?? '';
      const index = waiters.findIndex((waiter) => line.startsWith(waiter.prefix));
      if (index >= 0) waiters.splice(index, 1)[0]?.resolve(line);
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    deliver();
  });
  return {
    process: child,
    lines,
    stderr: () => err,
    exited,
    nextLine(prefix) {
      return new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        deliver();
        void exited.then(({ code, signal }) =>
          reject(
            new Error(`child exited (code ${code}, signal ${signal}) before "${prefix}"; stderr:\n${err}`),
          ),
        );
      });
    },
  };
}

/** Starts children, waits until each has loaded the package, then releases them together. */
export async function startTogether(argsList: string[][]): Promise<Child[]> {
  const children = argsList.map(spawnChild);
  await Promise.all(children.map((child) => child.nextLine('ready')));
  for (const child of children) child.process.stdin?.end('go\n');
  return children;
}

export async function expectCleanExit(child: Child): Promise<void> {
  const { code, signal } = await child.exited;
  if (code !== 0) throw new Error(`child failed (code ${code}, signal ${signal}):\n${child.stderr()}`);
}

/**
 * Opens a fresh memory database in a temp dir for a store contract suite and hands it the store
 * `pick` chooses. `another`: also offer a second client on the same file (only for stores whose
 * writes are single statements: two clients in one process cannot wait for each other's
 * transactions, see @oxydra/testkit/store-contracts' harness).
 */
export function memoryStoreOpener<S>(
  pick: (memory: MemoryDatabase) => S,
  options: { another?: boolean } = {},
) {
  return async () => {
    const tmp = tempDir();
    const path = tmp.path('contract.db');
    const memory = await openMemory({ path });
    return {
      store: pick(memory),
      ...(options.another
        ? {
            async another() {
              const other = await openMemory({ path });
              return { store: pick(other), close: () => other.close() };
            },
          }
        : {}),
      async close() {
        await memory.close();
        tmp.cleanup();
      },
    };
  };
}
