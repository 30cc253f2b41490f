import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('context fitting without the tokenizer', () => {
  it('fits on the byte bound when it fits, else on the estimate, and never loads gpt-tokenizer', () => {
    // A fresh process on the compiled packages (tsc -b runs before the tests): the require cache
    // shows whether fitting a context loaded gpt-tokenizer (a devDependency only since token
    // counts are estimated without tables).
    const runtime = new URL('../dist/index.js', import.meta.url).pathname;
    const provider = new URL('../../provider/dist/index.js', import.meta.url).pathname;
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('gpt-tokenizer'));
      const { fitContext } = await import(${JSON.stringify(runtime)});
      const { synthesizeModelInfo } = await import(${JSON.stringify(provider)});
      const model = synthesizeModelInfo('openai', 'any-model');
      const budget = { safetyBufferTokens: 100, fallbackMaxContextTokens: 128000 };
      const small = fitContext('You are terse.', [{ role: 'user', content: 'hello' }], [], model, budget);
      const afterSmall = loaded();
      const big = 'word '.repeat(40000);
      const large = fitContext('You are terse.', [{ role: 'user', content: big }], [], model, budget);
      console.log(JSON.stringify({ afterSmall, smallExact: small.exact, afterLarge: loaded(), largeExact: large.exact }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      afterSmall: false,
      smallExact: false,
      afterLarge: false,
      largeExact: true,
    });
  });
});
