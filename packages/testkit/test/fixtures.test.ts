/**
 * Fixture replay: every recorded file in ../shared/fixtures/providers is served exactly as the
 * fixtures README frames it. The expected bytes are rebuilt here from the README's rules,
 * independently of the server's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixtureToWire, MOCK_APIS, type MockApi, startMockLLM } from '@oxydra/testkit';
import { describe, expect, it } from 'vitest';
import { endpoint, FIXTURES, parseSse, post, requestBody } from './helpers.js';
import { WIRE_CASES } from './wire-cases.js';

/** Each recorded folder and the wire it was recorded from (WIRE_CASES' `fixtures`). */
const FOLDERS = MOCK_APIS.flatMap((api) => {
  const fixtures = WIRE_CASES[api].fixtures;
  return fixtures ? [[fixtures.folder, api] as const] : [];
});

function fixtureFiles(folder: string): string[] {
  return readdirSync(new URL(`${folder}/`, FIXTURES))
    .filter((name) => name !== 'expected.json' && (name.endsWith('.chunks.txt') || name.endsWith('.json')))
    .sort();
}

function pathOf(folder: string, name: string): string {
  return fileURLToPath(new URL(`${folder}/${name}`, FIXTURES));
}

/** The README's framing rules, written out on their own (WIRE_CASES' `fixtures.frame`). */
function expectedWire(api: MockApi, file: string, eol?: '\n' | '\r\n'): string {
  const fixtures = WIRE_CASES[api].fixtures;
  if (!fixtures) throw new Error(`${api} has no recorded fixtures`);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  return fixtures.frame(lines, eol ?? fixtures.eol);
}

async function replay(api: MockApi, fixture: string, lineEnding?: 'lf' | 'crlf') {
  const mock = await startMockLLM({ api, fixture, lineEnding });
  try {
    const res = await post(mock, endpoint(api), requestBody(api, 'replay me'));
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  } finally {
    await mock.close();
  }
}

describe('fixture replay', () => {
  for (const [folder, api] of FOLDERS) {
    const files = fixtureFiles(folder);

    it(`finds the recorded ${folder} files`, () => {
      expect(files.filter((f) => f.endsWith('.chunks.txt')).length).toBeGreaterThan(0);
    });

    for (const name of files.filter(
      (f) => f.endsWith('.chunks.txt') && f !== 'google-usage-raw-live.chunks.txt',
    )) {
      it(`${folder}/${name} is sent byte for byte as the README frames it`, async () => {
        const file = pathOf(folder, name);
        const { status, type, text } = await replay(api, file);
        expect(status).toBe(200);
        expect(type).toMatch(/^text\/event-stream/);
        expect(text).toBe(expectedWire(api, file));
        // Each data payload is one line of the file, verbatim and in order.
        const lines = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        const payloads = parseSse(text)
          .map((e) => e.data)
          .filter((d) => d !== '[DONE]');
        expect(payloads).toEqual(lines);
        expect(await fixtureToWire(file, api)).toBe(text);
      });
    }

    for (const name of files.filter((f) => f.endsWith('.json'))) {
      it(`${folder}/${name} is served as a complete JSON body`, async () => {
        const file = pathOf(folder, name);
        const { status, type, text } = await replay(api, file);
        const raw = readFileSync(file, 'utf8');
        expect(text).toBe(raw);
        expect(type).toMatch(/^application\/json/);
        expect(status).toBe('error' in JSON.parse(raw) ? 400 : 200);
      });
    }
  }

  it('frames Gemini with CRLF by default and LF on request', async () => {
    const file = pathOf('gemini', 'google-text.chunks.txt');
    const crlf = await replay('gemini', file);
    const lf = await replay('gemini', file, 'lf');
    expect(crlf.text).toContain('\r\n\r\n');
    expect(lf.text).not.toContain('\r');
    expect(lf.text).toBe(expectedWire('gemini', file, '\n'));
    expect(await fixtureToWire(file, 'gemini', { lineEnding: 'lf' })).toBe(lf.text);
  });

  it('sends the pre-framed google-usage-raw-live file verbatim, or re-framed when a line ending is forced', async () => {
    const file = pathOf('gemini', 'google-usage-raw-live.chunks.txt');
    const raw = readFileSync(file, 'utf8');
    expect((await replay('gemini', file)).text).toBe(raw);
    const payload = raw.trim().slice('data: '.length);
    expect((await replay('gemini', file, 'crlf')).text).toBe(`data: ${payload}\r\n\r\n`);
    expect((await replay('gemini', file, 'lf')).text).toBe(`data: ${payload}\n\n`);
  });

  it('replays the fixture for every request and records each one', async () => {
    const file = pathOf('anthropic-messages', 'anthropic-text.chunks.txt');
    const mock = await startMockLLM({ api: 'anthropic', fixture: file });
    try {
      const first = await (await post(mock, endpoint('anthropic'), requestBody('anthropic', 'one'))).text();
      const second = await (await post(mock, endpoint('anthropic'), requestBody('anthropic', 'two'))).text();
      expect(second).toBe(first);
      expect(mock.requests.map((r) => r.callIndex)).toEqual([0, 1]);
    } finally {
      await mock.close();
    }
  });

  it('uses the fixture only when no scenario step answers', async () => {
    const file = pathOf('openai-chat', 'issue-15789-step-1.chunks.txt');
    const mock = await startMockLLM({
      api: 'openai-chat',
      fixture: file,
      scenario: [{ reply: { text: 'first' } }],
    });
    try {
      const first = await (await post(mock, endpoint('openai-chat'), requestBody('openai-chat', 'a'))).text();
      const second = await (
        await post(mock, endpoint('openai-chat'), requestBody('openai-chat', 'b'))
      ).text();
      expect(first).toContain('"content":"first"');
      expect(second).toBe(expectedWire('openai-chat', file));
    } finally {
      await mock.close();
    }
  });

  it('rejects a missing fixture at start with the path in the message', async () => {
    await expect(startMockLLM({ api: 'gemini', fixture: '/nonexistent/x.chunks.txt' })).rejects.toThrow(
      /cannot load fixture \/nonexistent\/x\.chunks\.txt/,
    );
  });
});
