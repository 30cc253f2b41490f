/**
 * The fix said with a TOML syntax error, for the mistakes people make editing agent.toml by hand:
 * each case goes through the real parser (smol-toml) and its real error, so a parser whose words
 * change leaves the hint out and fails here.
 */
import { ConfigError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { parseTomlText } from '../src/index.js';

function errorFor(text: string): ConfigError {
  try {
    parseTomlText(text, 'agent.toml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parsed without an error: ${text}`);
}

describe('TOML syntax errors say the fix', () => {
  it('quotes a bare word given as a text value', () => {
    const error = errorFor('[selection]\nmodel = llama3.2   # the local one\n');
    expect(error.message).toBe('agent.toml:2:9: invalid TOML: invalid value');
    expect(error.hint).toBe('a text value is quoted in TOML: model = "llama3.2"');
  });

  it('turns yes, no and True into true and false', () => {
    expect(errorFor('[memory]\nenabled = yes\n').hint).toBe(
      'a yes/no value is true or false, lower case: enabled = true',
    );
    expect(errorFor('[memory]\nenabled = False\n').hint).toBe(
      'a yes/no value is true or false, lower case: enabled = false',
    );
  });

  it('names a string left without its closing quote', () => {
    const error = errorFor('[selection]\nmodel = "llama3.2\nprovider = "local"\n');
    expect(error.message).toMatch(/^agent\.toml:2:\d+: invalid TOML: control characters/);
    expect(error.hint).toMatch(/^a string is missing its closing quote/);
  });

  it('points at the first [table] when a table is opened twice', () => {
    const error = errorFor(
      '[runtime]\nmax_turns = 3\n\n[memory]\nenabled = true\n\n[runtime]\nmax_cost = 1\n',
    );
    expect(error.message).toBe(
      'agent.toml:7:2: invalid TOML: trying to redefine an already defined table or value',
    );
    expect(error.hint).toBe(
      '[runtime] is already opened on line 1: a table is written once, so move these keys under that one',
    );
  });

  it('points at the first line that set a key set twice in one table', () => {
    const error = errorFor('[runtime]\nmax_turns = 3\nturn_timeout_secs = 60\nmax_turns = 4\n');
    expect(error.hint).toBe('max_turns is already set on line 2: keep one of the two');
  });

  it('closes a table header left without its ]', () => {
    expect(errorFor('[runtime\nmax_turns = 3\n').hint).toBe(
      "a table's name is closed on its line: [runtime]",
    );
    expect(errorFor('[[agents\nname = "a"\n').hint).toBe("a table's name is closed on its line: [[agents]]");
  });

  it('names the line of a list or inline table left open, or the missing comma', () => {
    expect(errorFor('[runtime]\nstop = ["a", "b"\nmax_turns = 3\n').hint).toBe(
      'the list opened on line 2 is not closed: end it with ] (an inline table stays on one line), and separate its items with commas',
    );
    expect(errorFor('x = { a = 1\n').hint).toMatch(
      /^the inline table opened on line 1 is not closed: end it with \}/,
    );
    // A list closed on its own line is not the one left open: the comma is what is missing.
    expect(errorFor('x = [1, 2]\ny = [1 2]\n').hint).toBe(
      'items of a list or inline table are separated by commas, and it ends with ] or }',
    );
  });

  it('quotes words with spaces, and says one key = value per line', () => {
    expect(errorFor('[selection]\nmodel = gpt 4\n').hint).toBe(
      'a text value is quoted in TOML: model = "gpt 4"',
    );
    expect(errorFor('[selection]\nmodel = "gpt" 4\n').hint).toBe(
      'one key = value per line: text with spaces is quoted whole, and a comment starts with #',
    );
    expect(errorFor('[selection]]\n').hint).toBe(
      'a table header stands alone on its line: [name], or [[name]] for a list of tables',
    );
    expect(errorFor('prompt = """be brief\n').hint).toMatch(
      /^a """ \(or '''\) string is missing its closing/,
    );
  });

  it('never repeats the value of a line that may hold a secret', () => {
    const secret = 'sk-live-4f9a8b7c';
    for (const text of [
      `[providers.registry.openai]\napi_key = ${secret}\n`,
      `[providers.registry.openai]\n"api_key" = ${secret}\n`,
      `[providers.registry.x.extra_headers]\nAuthorization = Bearer ${secret}\n`,
      `[providers.registry]\nopenai = { api_key = ${secret} }\n`,
      `[memory]\nauth_token = "${secret}\n`,
    ]) {
      const error = errorFor(text);
      expect(`${error.message} ${error.hint ?? ''} ${error.location.excerpt ?? ''}`).not.toContain(secret);
      // Nor through its cause (the parser's own error quotes the line as written).
      expect(String((error as Error).cause ?? '')).not.toContain(secret);
    }
    expect(errorFor(`[p]\napi_key = ${secret}\n`).hint).toBe('a text value is quoted in TOML: api_key = "…"');
    // A key that only looks alike keeps its value: the variable's name is no secret.
    expect(errorFor('[p]\napi_key_env = OPENAI_KEY\n').hint).toBe(
      'a text value is quoted in TOML: api_key_env = "OPENAI_KEY"',
    );
  });

  it('says no hint where the line shows none of these mistakes', () => {
    expect(errorFor('[selection]\nmodel = 1.2.3\n').hint).toBeUndefined();
    // The same key in two different tables is not a duplicate: the error comes from elsewhere.
    expect(errorFor('[a]\nx = 1\n[b]\nx = 2\nx = 3\n').hint).toBe(
      'x is already set on line 4: keep one of the two',
    );
  });

  it('reads the long lines of a hostile file in one pass', () => {
    // A cloned repository's agent.toml: the key and value patterns used to backtrack over runs
    // of spaces, with the square of the line's length (0.7 s at 20,000 characters).
    const spaces = ' '.repeat(200_000);
    expect(errorFor(`[selection]\nmodel = llama${spaces}x\n`).hint).toBeUndefined();
    expect(errorFor(`[selection]\nmodel${spaces}= llama\n`).hint).toBe(
      'a text value is quoted in TOML: model = "llama"',
    );
    expect(errorFor(`[a${spaces}b]\nx = 1\n[a${spaces}b]\n`).hint).toBeUndefined();
  });
});
