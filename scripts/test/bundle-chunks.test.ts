import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { rolldown } from 'rolldown';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { hashedAsWritten } from '../bundle-hash-check.mjs';
// @ts-expect-error: a plain .mjs script without types
import { requireLazily } from '../bundle-lazy-chunks.mjs';

const roots: TempWorkspace[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) root.cleanup();
});

/** A CommonJS build of two entries sharing a chunk, with `plugins`, written to `root/out`. */
async function build(plugins: object[]) {
  const scratch = tempWorkspace({ prefix: 'bundle-chunks-' });
  roots.push(scratch);
  const root = scratch.dir;
  writeFileSync(join(root, 'shared.js'), 'export const shared = () => "shared";\n');
  writeFileSync(
    join(root, 'a.js'),
    'import { shared } from "./shared.js";\nexport const a = () => shared();\n',
  );
  writeFileSync(
    join(root, 'b.js'),
    'import { shared } from "./shared.js";\nexport const b = () => shared();\n',
  );
  const hashed = hashedAsWritten();
  const bundle = await rolldown({
    input: { a: join(root, 'a.js'), b: join(root, 'b.js') },
    logLevel: 'silent',
    plugins: [...plugins, hashed.plugin],
  });
  const dir = join(root, 'out');
  const { output } = await bundle.write({
    dir,
    format: 'cjs',
    entryFileNames: '[name]-[hash].cjs',
    chunkFileNames: '[name]-[hash].cjs',
  });
  await bundle.close();
  return { check: () => hashed.check(output, dir), output: output as { fileName: string }[], dir };
}

describe('bundle-hash-check: every hashed file holds the bytes it was named for', () => {
  it('passes a build as rolldown wrote it, and one changed in renderChunk (hashed)', async () => {
    const plain = await build([]);
    await expect(plain.check()).resolves.toBeUndefined();
    const rewrite = { name: 'rewrite', renderChunk: (code: string) => `${code}// changed\n` };
    const rewritten = await build([rewrite]);
    await expect(rewritten.check()).resolves.toBeUndefined();
    // What the rewrite relies on: a change made in renderChunk changes the file's name.
    const names = (files: { fileName: string }[]) => files.map((file) => file.fileName).sort();
    expect(names(rewritten.output).filter((name) => names(plain.output).includes(name))).toEqual([]);
  });

  it('fails a build changed after rolldown named its files: in generateBundle, or on disk', async () => {
    const late = {
      name: 'late',
      generateBundle(_options: unknown, files: Record<string, { type: string; code: string }>) {
        for (const file of Object.values(files)) if (file.type === 'chunk') file.code += '// changed\n';
      },
    };
    await expect((await build([late])).check()).rejects.toThrow(/changed after rolldown named them/);
    const written = await build([]);
    appendFileSync(join(written.dir, written.output[0]!.fileName), '// changed\n');
    await expect(written.check()).rejects.toThrow(written.output[0]!.fileName);
  });
});

describe('bundle-lazy-chunks: a chunk required at its first use', () => {
  const chunk = [
    'const require_runtime = require("./rolldown-runtime-!~{001}~.cjs");',
    'const require_ajv$1 = require("./ajv-!~{00a}~.cjs");',
    'var require_x = require_runtime.__commonJSMin(() => {',
    '\tconst a = require_ajv$1.require_ajv();',
    '\tconst b = require_ajv$1.require_codegen();',
    '});',
    '',
  ].join('\n');

  it("turns the top-level require into a loader and each use into the loader's call", () => {
    const lazy = requireLazily(chunk, 'ajv', 'x.cjs') as string;
    expect(lazy).not.toMatch(/^const require_ajv\$1 = require\(/m);
    expect(lazy).toContain(
      'const require_ajv$1 = () => (require_ajv$1$loaded ??= require("./ajv-!~{00a}~.cjs"));',
    );
    expect(lazy).toContain('require_ajv$1().require_ajv()');
    expect(lazy).toContain('require_ajv$1().require_codegen()');
    // Another chunk's require untouched; one not imported leaves the code as it was.
    expect(lazy).toContain('const require_runtime = require("./rolldown-runtime-!~{001}~.cjs");');
    expect(requireLazily(chunk, 'semver', 'x.cjs')).toBe(chunk);
  });

  it('makes a use after a spread lazy too (`...binding.f()`), not only after other characters', () => {
    const spread = chunk.replace('});', '\tuse(...require_ajv$1.list(), other.require_ajv$1);\n});');
    const lazy = requireLazily(spread, 'ajv', 'x.cjs') as string;
    expect(lazy).toContain('use(...require_ajv$1().list(), other.require_ajv$1);');
  });

  it('fails on a use it cannot make lazy (the chunk passed whole)', () => {
    const passed = chunk.replace('});', '\tuse(require_ajv$1);\n});');
    expect(() => requireLazily(passed, 'ajv', 'x.cjs')).toThrow(/x\.cjs: uses chunk ajv other than/);
  });
});
