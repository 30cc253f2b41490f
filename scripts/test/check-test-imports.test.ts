import { execFileSync, spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-test-imports.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let root: TempWorkspace | undefined;
// The offending lines are assembled at run time, so this file does not trip the check itself.
const SRC = ['..', '..', 'testkit', 'src', 'index.js'].join('/');
const DIST = ['..', '..', 'packages', 'testkit', 'dist', 'index.js'].join('/');
const fn = (name: string) => ['function', name].join(' ');
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

  it('fails a test that defines its own polling helper, as a function or an arrow', () => {
    const result = run({
      'packages/gateway/test/helpers.ts': `export async ${fn('until')}(check: () => boolean) {}\n`,
      'packages/tui/test/a.test.ts': `\n${['const', 'waitFor'].join(' ')} = async (check: () => boolean) => {};\n`,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'packages/gateway/test/helpers.ts:1: defines its own polling helper until',
    );
    expect(result.stderr).toContain('packages/tui/test/a.test.ts:2: defines its own polling helper waitFor');
  });

  it('leaves the testkit itself alone', () => {
    const result = run({
      'packages/testkit/test/a.test.ts': `import { x } from '../src/index.js';\n${fn('poll')}() {}\n`,
    });
    expect(result.status).toBe(0);
  });
});
