/**
 * The real @modelcontextprotocol/server-everything over stdio, inside the sandbox (bubblewrap,
 * the default): its tools namespaced, calls and their results, safety from annotations,
 * argument validation before the call, timeouts and cancellation, a killed server reconnected,
 * and a clean environment. Skipped, with the reason, only when bubblewrap cannot start here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { McpServerSource } from '../src/index.js';
import {
  call,
  EVERYTHING,
  fromServer,
  NODE_MODULES,
  removeWorkspaces,
  said,
  sandboxProblem,
  sources,
  tool,
} from './helpers.js';

const problem = sandboxProblem();
const opened: McpServerSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(removeWorkspaces);

async function everything(extra: Record<string, unknown> = {}, mcp: Record<string, unknown> = {}) {
  const [source] = sources(
    { everything: { command: 'node', args: [EVERYTHING, 'stdio'], read_paths: [NODE_MODULES], ...extra } },
    { mcp },
  );
  opened.push(source!);
  await source!.start();
  return source!;
}

describe.skipIf(problem !== undefined)(
  `server-everything over stdio, sandboxed${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    it('lists its tools as everything__<tool>, with the schema and annotation-based safety', async () => {
      const source = await everything();
      expect(source.health()).toMatchObject({ name: 'mcp:everything', ok: true });
      expect(source.health().detail).toMatch(
        /^connected, \d+ tools, 1 skipped \(they need MCP tasks\); stdio, bubblewrap \(workspace writable, no network/,
      );
      const names = source.tools().map((t) => t.name);
      expect(names).toContain('everything__echo');
      expect(names).toContain('everything__get-sum');
      for (const name of names) expect(name).toMatch(/^everything__[A-Za-z0-9_-]{1,52}$/);
      // A tool that can run only as an MCP task is not offered (tools/call cannot run it).
      expect(names).not.toContain('everything__simulate-research-query');
      const echo = tool(source, 'everything__echo');
      expect(echo.description).toMatch(/echo/i);
      expect(echo.parameters).toMatchObject({ type: 'object', required: ['message'] });
      expect(echo.parameters).not.toHaveProperty('$schema');
      // readOnlyHint: true → read_only; readOnlyHint: false → privileged (approval).
      expect(echo.safety).toBe('read_only');
      expect(tool(source, 'everything__toggle-simulated-logging').safety).toBe('privileged');
      expect(tool(source, 'everything__gzip-file-as-resource').safety).toBe('privileged');
    });

    it('runs calls and turns their results into text', async () => {
      const source = await everything();
      expect(await call(source, 'everything__echo', { message: 'hello there' })).toMatchObject({
        content: fromServer('everything', 'Echo: hello there'),
        isError: false,
      });
      expect((await call(source, 'everything__get-sum', { a: 2, b: 40 })).content).toContain('42');
      const image = await call(source, 'everything__get-tiny-image', {});
      expect(image.content).toMatch(/\[image: image\/png, [\d.]+ KB\]/);
      expect(image.content).not.toMatch(/iVBOR/); // no base64 for the model
      const reference = await call(source, 'everything__get-resource-reference', {
        resourceType: 'Text',
        resourceId: 2,
      });
      expect(reference.content).toContain('[resource demo://resource/dynamic/text/2');
    });

    it('checks arguments against the inputSchema before calling, with a message the model can act on', async () => {
      const source = await everything();
      const result = await call(source, 'everything__get-sum', { a: 'two', b: 3 });
      expect(result.isError).toBe(true);
      expect(result.content).toContain('Invalid arguments for everything__get-sum');
      expect(result.content).toContain('"a" must be number');
      const missing = await call(source, 'everything__echo', {});
      expect(missing.content).toContain("must have required property 'message'");
    });

    it('takes the configured safety over the annotations, and honours a tools allowlist', async () => {
      const source = await everything({ safety: 'side_effecting', tools: ['echo', 'get-sum'] });
      expect(source.tools().map((t) => [t.name, t.safety])).toEqual([
        ['everything__echo', 'side_effecting'],
        ['everything__get-sum', 'side_effecting'],
      ]);
    });

    it('gives the server only its own variables, a private HOME and the sandbox', async () => {
      const source = await everything({
        env: { GREETING: 'hi-from-config', SERVICE_TOKEN: 'tok-0123456789' },
      });
      const env = JSON.parse(await said(source, 'everything__get-env', {})) as Record<string, string>;
      expect(env.GREETING).toBe('hi-from-config');
      // The server has its token; what the model reads does not.
      expect(env.SERVICE_TOKEN).toBe('[redacted]');
      expect(env.HOME).toBe('/tmp/home');
      // Oxydra's own environment is not passed on (only PATH, the locale and TERM; not USER, LOGNAME, SHELL).
      for (const name of Object.keys(process.env)) {
        if (!['PATH', 'LANG', 'LC_ALL', 'TERM', 'HOME', 'PWD', 'TMPDIR'].includes(name))
          expect(env).not.toHaveProperty(name);
      }
    });

    it('stops a call at call_timeout_secs with a tool error, and the server keeps serving', async () => {
      const source = await everything({}, { call_timeout_secs: 1 });
      const slow = await call(source, 'everything__trigger-long-running-operation', {
        duration: 30,
        steps: 30,
      });
      expect(slow).toMatchObject({
        isError: true,
        content: 'everything__trigger-long-running-operation timed out after 1 s',
      });
      expect(await said(source, 'everything__echo', { message: 'still here' })).toBe('Echo: still here');
    });

    it('cancels a call when the context signal aborts', async () => {
      const source = await everything();
      const controller = new AbortController();
      const progress: string[] = [];
      const running = tool(source, 'everything__trigger-long-running-operation').execute(
        { duration: 30, steps: 30 },
        {
          workspace: '/',
          signal: controller.signal,
          onProgress: (message) => {
            progress.push(message);
            controller.abort(new Error('stop'));
          },
        },
      );
      await expect(running).rejects.toThrow('stop');
      expect(progress.length).toBeGreaterThan(0);
      expect(await said(source, 'everything__echo', { message: 'after' })).toBe('Echo: after');
    });

    it('close() stops the server process', async () => {
      const source = await everything();
      const pid = source.pid!;
      expect(() => process.kill(pid, 0)).not.toThrow();
      await source.close();
      expect(source.health().detail).toBe('closed');
      await pollUntil(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        'the process to be gone',
        { timeoutMs: 20_000 },
      );
      const after = await call(source, 'everything__echo', { message: 'x' });
      expect(after).toMatchObject({
        isError: true,
        content: expect.stringMatching(/is not connected\. .*\n\nclosed$/s),
      });
    });

    it('reconnects after the server process is killed, and a call made meanwhile waits for it', async () => {
      const source = await everything();
      const first = source.pid!;
      expect(first).toBeGreaterThan(0);
      process.kill(first, 'SIGKILL');
      await pollUntil(() => source.health().detail.startsWith('reconnecting'), 'the drop to be noticed', {
        timeoutMs: 20_000,
      });
      expect(source.health()).toMatchObject({ ok: false });
      expect(source.health().detail).toMatch(/^reconnecting \(attempt \d+\): the server process exited/);
      // Still offered while reconnecting; the call waits for the new process.
      expect(source.tools().map((t) => t.name)).toContain('everything__echo');
      expect(await said(source, 'everything__echo', { message: 'back' })).toBe('Echo: back');
      expect(source.health().ok).toBe(true);
      expect(source.pid).not.toBe(first);
    });

    it('reconnects a call cut off by the kill of a read-only tool (sent again once the server is back)', async () => {
      const source = await everything();
      const pid = source.pid!;
      const running = call(source, 'everything__trigger-long-running-operation', { duration: 1, steps: 1 });
      process.kill(pid, 'SIGKILL');
      const result = await running;
      expect(result.isError).toBe(false);
      expect(result.content).toMatch(/Long running operation completed/i);
    });

    it('fails closed, starting nothing, when the sandbox cannot reach the workspace', async () => {
      // As root, servers run as the workspace owner or "nobody"; a root-only workspace is out of reach.
      if (process.geteuid?.() !== 0) return;
      const closed = mkdtempSync(path.join(tmpdir(), 'oxydra-mcp-closed-'));
      try {
        const [source] = sources(
          { everything: { command: 'node', args: [EVERYTHING], read_paths: [NODE_MODULES] } },
          { workspace: closed },
        );
        opened.push(source!);
        await expect(source!.start()).rejects.toThrow(/refused to start/);
        expect(source!.health()).toMatchObject({ ok: false });
        expect(source!.health().detail).toMatch(
          /^not started: refused to start: .*cannot reach the workspace/,
        );
        expect(source!.pid).toBeUndefined();
        expect(source!.tools()).toEqual([]);
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    });
  },
);

describe('stdio servers that fail', () => {
  it('says why in health without the secret env values, and keeps retrying', async () => {
    const [source] = sources({
      broken: {
        command: 'node',
        args: [
          '-e',
          // As written, and base64 inside a Basic header's value (as a proxy's debug output has it).
          'const t = process.env.API_TOKEN; console.error("token is " + t + ", header Basic " + Buffer.from("me:" + t).toString("base64")); process.exit(3)',
        ],
        env: { API_TOKEN: 'tok-abcdef-123456' },
        sandbox: false,
      },
    });
    opened.push(source!);
    await expect(source!.start()).rejects.toThrow();
    const { detail } = source!.health();
    expect(detail).toMatch(/^reconnecting \(attempt 1\)/);
    expect(detail).toContain('token is [redacted]');
    expect(detail).not.toContain('tok-abcdef-123456');
    expect(detail).toContain('header Basic [redacted]');
    expect(detail).not.toContain(Buffer.from('me:tok-abcdef-123456').toString('base64'));
    await pollUntil(() => /attempt [2-9]/.test(source!.health().detail), 'a second attempt', {
      timeoutMs: 20_000,
    });
  });
});
