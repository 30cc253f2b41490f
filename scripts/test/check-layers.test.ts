import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-layers.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writePackage(dir: string, name: string, deps: Record<string, string>, source: string) {
  mkdirSync(join(root, 'packages', dir, 'src'), { recursive: true });
  writeFileSync(join(root, 'packages', dir, 'package.json'), JSON.stringify({ name, dependencies: deps }));
  writeFileSync(join(root, 'packages', dir, 'src', 'index.ts'), source);
}

function run() {
  return spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8' });
}

describe('layering check', () => {
  it('passes on this repository', () => {
    root = mkdtempSync(join(tmpdir(), 'layers-'));
    expect(execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8' })).toContain(
      'passed',
    );
  });

  it('fails when a lower layer imports a higher one', () => {
    root = mkdtempSync(join(tmpdir(), 'layers-'));
    writePackage(
      'types',
      '@oxydra/types',
      { '@oxydra/cli': '0.1.0' },
      "import { main } from '@oxydra/cli';\n",
    );
    writePackage(
      'cli',
      '@oxydra/cli',
      { '@oxydra/types': '0.1.0' },
      "import type { Message } from '@oxydra/types';\n",
    );
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'packages/types/src/index.ts: @oxydra/types (layer 0) imports @oxydra/cli (layer 9)',
    );
    expect(result.stderr).toContain('@oxydra/types (layer 0) declares @oxydra/cli (layer 9)');
  });

  it('fails when a package imports something it does not declare, including dynamic imports', () => {
    root = mkdtempSync(join(tmpdir(), 'layers-'));
    writePackage(
      'config',
      '@oxydra/config',
      {},
      "import { z } from 'zod';\nconst t = await import('@oxydra/types');\nimport { readFile } from 'node:fs';\nimport path from 'path';\n",
    );
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('imports zod, which @oxydra/config does not declare');
    expect(result.stderr).toContain('imports @oxydra/types, which @oxydra/config does not declare');
    expect(result.stderr).not.toContain('node:fs');
    expect(result.stderr).not.toContain('imports path');
  });

  it('fails for a package missing from the layer map', () => {
    root = mkdtempSync(join(tmpdir(), 'layers-'));
    writePackage('mystery', '@oxydra/mystery', {}, '');
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('@oxydra/mystery: not in the layer map');
  });
});
