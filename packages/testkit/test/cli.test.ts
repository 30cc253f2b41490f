/** `oxydra mock-llm`: called in-process, and spawned as a real process stopped by SIGTERM. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMockLlmCli } from '@oxydra/testkit';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../src/helpers/index.js';
import { requestBody, streamedText } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'oxydra-mock-llm-'));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Collects what the CLI writes. */
function sink() {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

async function runFailing(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runMockLlmCli(argv, { stdout, stderr, signal: AbortSignal.abort() });
  return { code, stderr: stderr.text, stdout: stdout.text };
}

describe('runMockLlmCli', () => {
  it('serves the scenario, prints its URL and stops on the signal', async () => {
    const scenario = file('ok.json', JSON.stringify({ steps: [{ reply: { text: 'from the cli' } }] }));
    const stdout = sink();
    const controller = new AbortController();
    const running = runMockLlmCli(['--api', 'openai-chat', '--scenario', scenario], {
      stdout,
      stderr: sink(),
      signal: controller.signal,
    });
    await pollUntil(
      () => stdout.text.endsWith('\n'),
      () => `a whole line on stdout (saw ${JSON.stringify(stdout.text)})`,
      {
        timeoutMs: 1000,
        intervalMs: 50,
      },
    );
    const match = /^mock-llm \(openai-chat\) listening on (http:\/\/127\.0\.0\.1:\d+\/v1)\n$/.exec(
      stdout.text,
    );
    expect(match).not.toBeNull();
    const res = await fetch(`${match?.[1]}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(requestBody('openai-chat', 'hi')),
    });
    expect(streamedText('openai-chat', await res.text())).toBe('from the cli');
    controller.abort();
    expect(await running).toBe(0);
  });

  it('a missing scenario file is exit 2 with one line', async () => {
    const { code, stderr } = await runFailing([
      '--api',
      'anthropic',
      '--scenario',
      join(dir, 'missing.json'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `oxydra mock-llm: cannot read scenario ${join(dir, 'missing.json')}: file not found\n`,
    );
  });

  it('an invalid scenario is exit 2 with one line naming the problem', async () => {
    const bad = file('bad.json', JSON.stringify({ steps: [{ reply: { toolCalls: [{ arguments: {} }] } }] }));
    const { code, stderr } = await runFailing(['--api', 'gemini', '--scenario', bad]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `oxydra mock-llm: invalid scenario ${bad}: steps[0].reply.toolCalls[0].name: required\n`,
    );
  });

  it('a scenario that is not JSON is exit 2 with one line', async () => {
    const bad = file('broken.json', '{ "steps": [ }');
    const { code, stderr } = await runFailing(['--api', 'gemini', '--scenario', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^oxydra mock-llm: scenario ${bad} is not valid JSON: .+\\n$`));
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('usage mistakes are exit 2 with one line', async () => {
    for (const argv of [
      ['--api', 'cohere', '--scenario', 'x.json'],
      ['--scenario', 'x.json'],
      ['--api', 'gemini'],
      ['--api', 'gemini', '--scenario', 'x.json', '--port', 'abc'],
      ['--api', 'gemini', '--bogus'],
    ]) {
      const { code, stderr } = await runFailing(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('a fixture step path is resolved against the scenario file', async () => {
    const fixtures = fileURLToPath(new URL('../../../../shared/fixtures/providers/', import.meta.url));
    const scenario = file(
      'fixture.json',
      JSON.stringify({
        steps: [
          { fixture: join(fixtures, 'gemini/google-text.chunks.txt') },
          { fixture: 'missing.chunks.txt' },
        ],
      }),
    );
    const { code, stderr } = await runFailing(['--api', 'gemini', '--scenario', scenario]);
    expect(code).toBe(2);
    expect(stderr).toContain(`cannot load fixture ${join(dir, 'missing.chunks.txt')}`);
  });

  it('runs as a process until SIGTERM', async () => {
    const scenario = file('proc.json', JSON.stringify([{ reply: { text: 'spawned' }, times: 'always' }]));
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(entry)}); process.exitCode = await m.runMockLlmCli(process.argv.slice(1));`,
        '--',
        '--api',
        'anthropic',
        '--scenario',
        scenario,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      // Fail fast (not by timeout) if the process dies before printing its URL.
      const exited = once(child, 'exit').then(([code]) => {
        throw new Error(`mock-llm exited early with ${code}`);
      });
      const [chunk] = (await Promise.race([once(child.stdout, 'data'), exited])) as [Buffer];
      exited.catch(() => {});
      const url = /listening on (\S+)/.exec(chunk.toString())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify(requestBody('anthropic', 'hi')),
      });
      expect(streamedText('anthropic', await res.text())).toBe('spawned');
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
