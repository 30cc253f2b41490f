import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-layers.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let scratch: TempWorkspace;
let root: string;
afterEach(() => scratch.cleanup());

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
    scratch = tempWorkspace({ prefix: 'layers-' });
    root = scratch.dir;
    expect(execFileSync(process.execPath, [script, '--root', repoRoot], { encoding: 'utf8' })).toContain(
      'passed',
    );
  });

  it('fails when a lower layer imports a higher one', () => {
    scratch = tempWorkspace({ prefix: 'layers-' });
    root = scratch.dir;
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
    scratch = tempWorkspace({ prefix: 'layers-' });
    root = scratch.dir;
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

  it('fails on an import cycle inside a package, type-only imports and loops of three included', () => {
    scratch = tempWorkspace({ prefix: 'layers-' });
    root = scratch.dir;
    writePackage('runtime', '@oxydra/runtime', {}, "export { a } from './a.js';\n");
    const src = join(root, 'packages', 'runtime', 'src');
    writeFileSync(join(src, 'a.ts'), "import type { B } from './b.js';\nexport const a = 1;\n");
    writeFileSync(join(src, 'b.ts'), "import { a } from './a.js';\nexport type B = typeof a;\n");
    writeFileSync(join(src, 'x.ts'), "import { y } from './y.js';\nexport const x = y;\n");
    writeFileSync(join(src, 'y.ts'), "import { z } from './z.js';\nexport const y = z;\n");
    writeFileSync(join(src, 'z.ts'), "export { x as z } from './x.js';\n");
    // A chain without a loop is fine.
    writeFileSync(join(src, 'leaf.ts'), "import { a } from './a.js';\nexport const leaf = a;\n");
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      '@oxydra/runtime: import cycle between packages/runtime/src/a.ts, packages/runtime/src/b.ts',
    );
    expect(result.stderr).toContain(
      'import cycle between packages/runtime/src/x.ts, packages/runtime/src/y.ts, packages/runtime/src/z.ts',
    );
    expect(result.stderr).not.toContain('leaf.ts');
  });

  it('fails for a package missing from the layer map', () => {
    scratch = tempWorkspace({ prefix: 'layers-' });
    root = scratch.dir;
    writePackage('mystery', '@oxydra/mystery', {}, '');
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('@oxydra/mystery: not in the layer map');
  });
});
