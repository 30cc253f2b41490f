/**
 * The one-home check: passes on this repository, and fails on each kind of fact written out
 * again (a copy of the real homes in a temporary root, plus one offending file).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { findings, withoutComments } from '../check-one-home.mjs';

const script = fileURLToPath(new URL('../check-one-home.mjs', import.meta.url));
const repoRoot = dirname(dirname(script));
let scratch: TempWorkspace;
let root: string;

beforeEach(() => {
  scratch = tempWorkspace({ prefix: 'one-home-' });
  root = scratch.dir;
  mkdirSync(join(root, 'packages/types/src'), { recursive: true });
  mkdirSync(join(root, 'packages/demo/src'), { recursive: true });
  mkdirSync(join(root, 'scripts'));
  cpSync(join(repoRoot, 'packages/types/src/wire-facts.ts'), join(root, 'packages/types/src/wire-facts.ts'));
});
afterEach(() => scratch.cleanup());

const check = (source: string): string[] => {
  writeFileSync(join(root, 'packages/demo/src/index.ts'), source);
  return findings(root);
};

describe('one-home check', () => {
  it('passes on this repository', () => {
    expect(findings(repoRoot)).toEqual([]);
  });

  it('finds a wire fact written out again: key variable, base URL, list of types', () => {
    expect(check("export const KEY = 'ANTHROPIC_API_KEY';")).toEqual([
      expect.stringContaining('packages/demo/src/index.ts:1: key variable ANTHROPIC_API_KEY'),
    ]);
    expect(check("const url = 'https://api.openai.com/v1';")[0]).toContain('base URL');
    expect(check("const t = ['openai', 'anthropic', 'gemini'];")[0]).toContain('a list of provider types');
    expect(check("const v = type === 'openai' || type === 'openai_responses';")[0]).toContain(
      "'openai', 'openai_responses'",
    );
    // openai/gemini alone also name embedding backends: not a provider-type table.
    expect(check("const remote = backend === 'openai' || backend === 'gemini';")).toEqual([]);
  });

  it("finds a wire's listing headers and branches on its type outside WIRE_FACTS (doctor's old probe)", () => {
    expect(
      check("if (key) headers['x-api-key'] = key; headers['anthropic-version'] = '2023-06-01';"),
    ).toEqual([
      expect.stringContaining("index.ts:1: model-listing header fact 'x-api-key'"),
      expect.stringContaining("'anthropic-version'"),
      expect.stringContaining("'2023-06-01'"),
    ]);
    expect(check('switch (entry.provider_type) { default: }')[0]).toContain('a switch on provider_type');
    expect(check("if (entry.provider_type !== 'gemini') {}")[0]).toContain(
      "a branch on provider_type 'gemini'",
    );
    // HTTP's own header, and a type that is not a wire API, are no wire's fact.
    expect(check("headers.authorization = 'x'; if (e.provider_type === 'mock') {}")).toEqual([]);
    // The adapters speak their wire: they send its headers.
    mkdirSync(join(root, 'packages/provider/src/adapters/gemini'), { recursive: true });
    writeFileSync(join(root, 'packages/provider/src/adapters/gemini/wire.ts'), "h['x-goog-api-key'] = k;");
    expect(check('export {};')).toEqual([]);
  });

  it('finds launcher settings and secret folders outside their homes, never in comments', () => {
    expect(check("const flags = ['--max-old-space-size=512'];")[0]).toContain('launcher setting');
    expect(check("env.MALLOC_ARENA_MAX = '2'; const k = 'MALLOC_ARENA_MAX';")[0]).toContain(
      'MALLOC_ARENA_MAX',
    );
    expect(check("const dir = join(home, '.ssh');")[0]).toContain('secret folder .ssh');
    expect(check("const dir = join(home, '.config', 'oxydra');")[0]).toContain('.config/oxydra');
    expect(check("// '.ssh' and --max-old-space-size, 'OPENAI_API_KEY'\nexport {};")).toEqual([]);
  });

  it('finds dollar arithmetic and price tables outside the money homes (the embedders once priced apart)', () => {
    // What embeddings/options.ts and the runtime's budgets.ts did before they asked catalog/cost.ts.
    expect(
      check(
        "const PRICES_PER_MILLION: Record<string, number> = { 'text-embedding-3-small': 0.02 };\n" +
          'const costUsd = (inputTokens * price) / 1_000_000;\n' +
          'if (this.spent > maxCostUsd) stop();\n' +
          'total = total === null || cost.costUsd === null ? null : total + cost.costUsd;',
      ),
    ).toEqual([
      expect.stringContaining('index.ts:1: a price table PRICES_PER_MILLION outside its home'),
      expect.stringContaining('index.ts:2: dollar arithmetic'),
      expect.stringContaining('index.ts:3: dollar arithmetic "this.spent > maxCostUsd"'),
      expect.stringContaining('index.ts:4: dollar arithmetic'),
    ]);
    // Asking the homes, showing dollars, a type's name, an algorithm's "cost", a comparison with a
    // number written out, and words in strings and comments are not money arithmetic.
    expect(
      check(
        'const total = addCost(total, result.costUsd);\n' +
          'const shown = usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2);\n' +
          'type P = Array<ModelPrices>; const f = (usd: number) => usd;\n' +
          'cost += weight * 2; const label = "max_cost - x";\n' +
          '// spent + costUsd > maxCostUsd\n',
      ),
    ).toEqual([]);
    // The homes themselves price and decide.
    mkdirSync(join(root, 'packages/kernel/src/services/budgets'), { recursive: true });
    writeFileSync(
      join(root, 'packages/kernel/src/services/budgets/accounts.ts'),
      'if (this.costUsd + nextCallUsd > maxCostUsd) stop();',
    );
    expect(check('export {};')).toEqual([]);
  });

  it('drops comments but keeps strings that look like them', () => {
    expect(withoutComments("a('//x'); // gone\n/* gone */b")).toBe("a('//x'); \n          b");
  });
});
