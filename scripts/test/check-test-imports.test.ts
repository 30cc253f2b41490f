import { execFileSync, spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-test-imports.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let root: TempWorkspace | undefined;
// The offending imports are assembled at run time, so this file does not trip the check itself
// (its polls are strings, which the check, reading code, does not see).
const SRC = ['..', '..', 'testkit', 'src', 'index.js'].join('/');
const DIST = ['..', '..', 'packages', 'testkit', 'dist', 'index.js'].join('/');
const GATEWAY_HELPERS = ['..', '..', 'gateway', 'test', 'helpers.js'].join('/');
const MCP_FIXTURES = ['..', '..', 'mcp', 'test', 'fixtures'].join('/');
const TESTING_ENTRY = { 'oxydra-testing': './test/helpers.ts' };
afterEach(() => root?.cleanup());

function run(files: Record<string, string>) {
  root = tempWorkspace({ prefix: 'test-imports-', files: { 'packages/types/package.json': '{}', ...files } });
  return spawnSync(process.execPath, [script, '--root', root.dir], { encoding: 'utf8' });
}

describe('test imports check', () => {
  it('passes on this repository', () => {
    expect(execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8' })).toContain(
      'passed',
    );
  });

  it('passes tests that import the testkit by name and wait with pollUntil', () => {
    const result = run({
      'packages/cli/test/a.test.ts':
        "import { startMockLLM } from '@oxydra/testkit';\nimport { pollUntil } from '@oxydra/testkit/helpers';\nawait pollUntil(() => true, 'x');\n",
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails a test that imports the testkit sources by a relative path', () => {
    const result = run({
      'packages/provider/test/a.test.ts': `import { startMockLLM } from '${SRC}';\n`,
      'scripts/test/b.test.ts': `const m = await import('${DIST}');\n`,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`packages/provider/test/a.test.ts: imports ${SRC}`);
    expect(result.stderr).toContain(`scripts/test/b.test.ts: imports ${DIST}`);
  });

  it('fails a test that sleeps in a loop, however the sleep is spelled or named', () => {
    const result = run({
      'packages/gateway/test/a.test.ts': [
        'let calls = 0;',
        'while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 20));',
      ].join('\n'),
      'packages/tui/test/b.test.ts': [
        "import { setTimeout as nap } from 'node:timers/promises';",
        'for (let i = 0; i < 50 && !ready(); i++) {',
        '  await nap(10);',
        '}',
      ].join('\n'),
      'packages/kernel/test/helpers.ts': [
        'const rest = (ms: number) => new Promise((done) => setTimeout(done, ms));',
        'export async function whenReady(check: () => boolean) {',
        '  for (;;) {',
        '    if (check()) return;',
        '    await rest(5);',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('packages/gateway/test/a.test.ts:2: sleeps in a loop (line 2)');
    expect(result.stderr).toContain('packages/tui/test/b.test.ts:2: sleeps in a loop (line 3)');
    expect(result.stderr).toContain('packages/kernel/test/helpers.ts:3: sleeps in a loop (line 5)');
  });

  it("fails vitest's own pollers, vi.waitFor and expect.poll, in the testkit's tests too", () => {
    const result = run({
      'packages/provider/test/a.test.ts': 'await vi.waitFor(() => expect(n).toBe(1));\n',
      'packages/testkit/test/b.test.ts': "\nawait expect.poll(() => text).toContain('x');\n",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('packages/provider/test/a.test.ts:1: calls vi.waitFor');
    expect(result.stderr).toContain('packages/testkit/test/b.test.ts:2: calls expect.poll');
  });

  it('passes a loop marked "poll-ok" with a reason, and waits that are not sleeps', () => {
    const result = run({
      'packages/memory/test/a.test.ts': [
        '// poll-ok: each round pauses at random before its kill.',
        'for (let round = 0; round < 3; round++) {',
        '  await new Promise((resolve) => setTimeout(resolve, 5));',
        '}',
        // A frame queue: woken by the next frame, the timer only a deadline.
        'for (;;) {',
        '  await new Promise<void>((resolve) => {',
        '    const timer = setTimeout(resolve, left);',
        '    waiters.push(() => { clearTimeout(timer); resolve(); });',
        '  });',
        '}',
        // A bounded read, and a loop of work that awaits no timer.
        'while (more) await Promise.race([read(), new Promise((resolve) => setTimeout(resolve, 10))]);',
        'for (let i = 0; i < 3; i++) await collect(provider);',
        // A sleep in a callback defined in a loop runs elsewhere, not in the loop.
        'for (const f of files) schedule(async () => { await new Promise((r) => setTimeout(r, 1)); });',
      ].join('\n'),
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails a "poll-ok" marker without a reason', () => {
    const result = run({
      'packages/memory/test/a.test.ts': `import { sleep } from './helpers.js';\n// poll-ok:\nwhile (!done) await sleep(5);\n`,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('packages/memory/test/a.test.ts:3: sleeps in a loop (line 3)');
  });

  it('fails a test file with more hand-made temp folders than its baseline, or fewer', () => {
    const baseline = {
      files: {
        'packages/config/test/a.test.ts': 1,
        'packages/tools/test/b.test.ts': 2,
        'packages/gone.test.ts': 1,
      },
    };
    const result = run({
      'scripts/temp-dir-baseline.json': JSON.stringify(baseline),
      // At its baseline: passes.
      'packages/config/test/a.test.ts': "const dir = mkdtempSync(join(tmpdir(), 'a-'));\n",
      // Below its baseline: the entry is to be lowered.
      'packages/tools/test/b.test.ts': "const dir = await fs.mkdtemp('b-');\n",
      // A new file has a baseline of 0.
      'packages/memory/test/c.test.ts': "import { mkdtempSync } from 'node:fs';\nmkdtempSync('c-');\n",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('packages/config/test/a.test.ts');
    expect(result.stderr).toContain(
      'packages/tools/test/b.test.ts: makes 1 temp folder(s) with mkdtemp/mkdtempSync, fewer than its baseline 2; lower the baseline',
    );
    expect(result.stderr).toContain(
      'packages/memory/test/c.test.ts: makes 1 temp folder(s) with mkdtemp/mkdtempSync (baseline 0); use tempWorkspace',
    );
    expect(result.stderr).toContain(
      'packages/gone.test.ts: gone, but has a temp-folder baseline of 1; lower the baseline',
    );
  });

  it("fails a test that reaches another package's test folder by a relative path", () => {
    const result = run({
      'packages/tui/test/a.test.ts': `import { startTestGateway } from '${GATEWAY_HELPERS}';\n`,
      'packages/cli/test/b.test.ts': `const h = await import('${GATEWAY_HELPERS}');\n`,
      'packages/kernel/test/c.test.ts': `const FIXTURES = new URL('${MCP_FIXTURES}', import.meta.url);\n`,
    });
    expect(result.status).toBe(1);
    for (const [file, reached] of [
      ['packages/tui/test/a.test.ts', GATEWAY_HELPERS],
      ['packages/cli/test/b.test.ts', GATEWAY_HELPERS],
      ['packages/kernel/test/c.test.ts', MCP_FIXTURES],
    ])
      expect(result.stderr).toContain(`${file}: reaches ${reached}, another package's test folder`);
  });

  it("passes a test that imports another package's test support by name, below its own layer", () => {
    const result = run({
      'packages/gateway/package.json': JSON.stringify({ exports: { './testing/helpers': TESTING_ENTRY } }),
      'packages/gateway/test/a.test.ts':
        "import { x } from './helpers.js';\nconst f = new URL('./fixtures/a', import.meta.url);\n",
      'packages/tui/test/b.test.ts': "import { startTestGateway } from '@oxydra/gateway/testing/helpers';\n",
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails test support imported from a package at or above the importing layer', () => {
    const result = run({
      'packages/kernel/test/a.test.ts':
        "import { startTestGateway } from '@oxydra/gateway/testing/helpers';\n",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'packages/kernel/test/a.test.ts: imports @oxydra/gateway/testing/helpers, but @oxydra/kernel (layer 6) may not import @oxydra/gateway (layer 7)',
    );
  });

  it('fails a testing export that anything but a test could resolve', () => {
    const result = run({
      'packages/gateway/package.json': JSON.stringify({
        exports: {
          './testing/helpers': './test/helpers.ts',
          './testing/both': { ...TESTING_ENTRY, default: './test/helpers.ts' },
          './helpers': TESTING_ENTRY,
        },
      }),
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'packages/gateway/package.json: exports ./testing/helpers as "./test/helpers.ts"',
    );
    expect(result.stderr).toContain('packages/gateway/package.json: exports ./testing/both as');
    expect(result.stderr).toContain('packages/gateway/package.json: exports ./helpers from the test folder');
  });

  it("lets the testkit's own tests import its sources by path", () => {
    const result = run({
      'packages/testkit/test/a.test.ts': "import { x } from '../src/index.js';\n",
    });
    expect(result.status).toBe(0);
  });
});
