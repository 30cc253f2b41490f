import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, OXYDRA_BIN } from './helpers.js';

let sandbox: CliSandbox;
afterEach(() => sandbox?.cleanup());

describe('oxydra models', () => {
  it('lists the catalog, filtered by namespace or by registry entry name', () => {
    sandbox = new CliSandbox();
    const all = sandbox.run('models', 'list');
    expect(all.status).toBe(0);
    expect(all.stdout).toMatch(/^openai +gpt-4o-mini +128K/m);
    expect(all.stdout).toMatch(/^anthropic +claude-/m);
    const gemini = sandbox.run('models', 'list', '--provider', 'gemini', '--json');
    const models = JSON.parse(gemini.stdout) as { namespace: string }[];
    expect(models.length).toBeGreaterThan(5);
    expect(new Set(models.map((m) => m.namespace))).toEqual(new Set(['google']));
  });

  it('shows one model with its prices and limits', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('models', 'show', 'gpt-4o-mini');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('context window:      128,000 tokens');
    expect(result.stdout).toMatch(/prices \(US\$ per 1M\): input 0\.15, output 0\.6/);
  });

  it('suggests the right id for a typo and exits 2', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('models', 'show', 'gpt-4o-mni');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown model "gpt-4o-mni" (did you mean "gpt-4o-mini"?)');
    const provider = sandbox.run('models', 'list', '--provider', 'nope');
    expect(provider.status).toBe(2);
    expect(provider.stderr).toContain('unknown provider "nope"');
  });
});

describe('oxydra mock-llm', () => {
  // SIGTERM is a clean stop (0); Ctrl+C ends it with 130, as every command (run/interrupted.ts).
  it.each([
    ['SIGTERM', 0],
    ['SIGINT', 130],
  ] as const)('serves a scenario on a local port until %s (exit %i)', async (signal, exitCode) => {
    sandbox = new CliSandbox();
    const scenario = sandbox.write(
      'scenario.json',
      JSON.stringify({ steps: [{ reply: { text: 'Hello from the scripted model.' }, times: 'always' }] }),
    );
    const child = spawn(
      process.execPath,
      [OXYDRA_BIN, 'mock-llm', '--api', 'openai-chat', '--scenario', scenario],
      {
        cwd: sandbox.workspace,
        env: sandbox.env,
      },
    );
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`mock-llm exited early with ${code}: ${stdout}`)));
      });
      const response = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const body = await response.text();
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(body).toContain('"content":"Hello"');
      expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    } finally {
      child.kill(signal);
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(exitCode);
  });

  it('rejects a missing scenario file with one line and exit code 2', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('mock-llm', '--api', 'anthropic', '--scenario', 'missing.json');
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('missing.json');
  });
});
