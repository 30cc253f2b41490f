/**
 * A kernel closed while memory still indexes its last turn: the indexing's embedding call is
 * charged to the spending ledger, in the kernel database, when its answer arrives. The kernel
 * closed that database before it waited for memory, so the charge's commit came after: libsql
 * aborted the process reading the closed database's transaction state (a Rust panic, exit 134,
 * after `oxydra run` had printed its answer: CI saw it once in ~150 runs), and the charge was
 * lost. A real process, with the embedding answer held until the kernel has begun closing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { type HoldingRelay, holdingRelay, tempWorkspace } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelDbPath } from '../src/exports/workspace.js';
import { ON_POSTGRES } from './helpers.js';

const dist = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
const ANSWER = 'Noted: the codename is ORCHID-9.';
/** How long after the kernel begins closing the held embedding answer is let go. */
const HOLD_AFTER_CLOSING_MS = 300;

/** One turn with memory indexing through the mock's embeddings, then close; says when it closes. */
const CHILD = `
  const { openKernel } = await import(${dist('../dist/index.js')});
  const { agentConfigSchema } = await import(${dist('../../types/dist/config-full.js')});
  const [workspace, url] = process.argv.slice(1);
  const config = agentConfigSchema.parse({
    selection: { provider: 'mock', model: 'gpt-4o-mini' },
    providers: { registry: { mock: { provider_type: 'openai', base_url: url, api_key_env: 'MOCK_KEY', catalog_provider: 'openai' } } },
    tools: { approval: 'auto', sandbox: { mode: 'none' } },
    memory: { embedding_backend: 'openai', embedding_provider: 'mock', embedding_model: 'text-embedding-3-small' },
  });
  const env = { MOCK_KEY: 'sk-mock', HOME: workspace, PATH: process.env.PATH };
  const kernel = await openKernel({ workspace, config, host: 'test', env, warn: (line) => process.stderr.write(line + '\\n') });
  const result = await kernel.agents.spawn({ prompt: 'Remember the codename ORCHID-9.', userId: 'gus' }).result;
  if (result.status !== 'completed') throw new Error('the turn ended ' + result.status);
  process.stdout.write('closing\\n');
  await kernel.close();
  process.stdout.write('closed\\n');
`;

let mock: MockLLM | undefined;
let relay: HoldingRelay | undefined;
const folder = tempWorkspace({ prefix: 'oxydra-close-indexing-' });
afterEach(async () => {
  relay?.close();
  await mock?.close();
  folder.cleanup();
});

describe('a kernel closed while memory indexes its last turn', () => {
  // libSQL only: the abort was libsql's, and the charge is read from kernel.db
  it.skipIf(ON_POSTGRES)(
    'waits for the indexing, records its embedding charge, then closes its database: no abort',
    async () => {
      mock = await startMockLLM({
        api: 'openai-chat',
        scenario: [{ reply: { text: ANSWER }, times: 'always' }],
      });
      let closing!: () => void;
      const begunClosing = new Promise<void>((resolve) => {
        closing = resolve;
      });
      const release = begunClosing.then(
        () => new Promise<void>((resolve) => setTimeout(resolve, HOLD_AFTER_CLOSING_MS)),
      );
      // The indexing's embedding request (its text holds the answer; recall's would hold only the
      // prompt) waits until the kernel has begun closing.
      relay = await holdingRelay(mock.url, (path, body) =>
        path.endsWith('/embeddings') && body.includes('ORCHID-9.') ? release : undefined,
      );
      const url = relay.url;
      const workspace = folder.dir;
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, workspace, url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('closing\n')) closing();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
      );
      expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
      // Nor a commit that failed, or a charge warned about instead of recorded.
      expect(stderr).not.toMatch(/panicked|could not|not be recorded/);
      expect(stdout).toBe('closing\nclosed\n');
      // The held request was the indexing's, and every embedding call's charge is stored with
      // the turn's: one usage row each.
      const embeddings = mock.requests.filter((r) => r.path === '/v1/embeddings');
      expect(embeddings.filter((r) => r.raw.includes('ORCHID-9.'))).not.toEqual([]);
      const db = new Database(kernelDbPath(workspace));
      try {
        const kinds = db.prepare('SELECT kind, user_id FROM usage_log ORDER BY id').all();
        expect(kinds).toEqual([
          { kind: 'model', user_id: 'gus' },
          ...embeddings.map(() => ({ kind: 'embedding', user_id: 'gus' })),
        ]);
      } finally {
        db.close();
      }
    },
  );
});
