/**
 * A spec run's mechanical checks against a hostile workspace (the model writes it between
 * attempts, and a web page it read may steer it): `file:` and `json-schema:` keep out of what the
 * file tools keep out of (the home folder's secrets, the vault); a schema's `pattern` runs in
 * linear time or not at all (a pattern RE2 cannot run fails the criterion, never passes it); a
 * schema's error text kept as evidence is bounded.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSpec } from '../src/exports/spec.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

/** One attempt with these criteria (the model's answer does not matter to them); its results. */
async function checked(files: Record<string, string>, criteria: string[], config = {}) {
  const { kernel, workspace } = await testKernel([{ reply: { text: 'done' } }], config);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(workspace, path, '..'), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }
  const outcome = await runSpec(kernel, { input: { request: 'check', criteria }, spawn: {}, maxAttempts: 1 });
  return outcome.attempts[0]!.results;
}

describe('spec checks in a hostile workspace', () => {
  it("refuses the home folder's secret folders and the vault, as the file tools do", async () => {
    // The test kernel's home folder is the workspace, so its .ssh is the user's.
    const results = await checked(
      {
        '.ssh/keys.json': '{"BEGIN-PRIVATE-KEY-abc": 1}',
        'vault/token.json': '{"token-xyz": 1}',
        'schema.json': JSON.stringify({ additionalProperties: { type: 'string' } }),
      },
      [
        'json-schema: .ssh/keys.json schema.json',
        'file: .ssh/keys.json exists',
        'json-schema: vault/token.json schema.json',
        'file: vault/token.json exists',
      ],
      { tools: { vault_path: 'vault' } },
    );
    for (const result of results) {
      expect(result.passed, result.detail).toBe(false);
      expect(result.detail).not.toMatch(/PRIVATE|xyz|exists \(/);
    }
    expect(results[0]!.detail).toMatch(/secret|denied|hidden/i);
    expect(results[2]!.detail).toContain('vault');
  }, 30_000);

  it('fails file: and json-schema: on a FIFO, a socket or a device, at once', async () => {
    const { kernel, workspace } = await testKernel([{ reply: { text: 'done' } }]);
    execFileSync('mkfifo', [join(workspace, 'report.md'), join(workspace, 'data.json')]);
    const socket = createServer().listen(join(workspace, 'out.sock'));
    await once(socket, 'listening');
    try {
      writeFileSync(join(workspace, 'schema.json'), '{}');
      const outcome = await runSpec(kernel, {
        input: {
          request: 'check',
          criteria: [
            'file: report.md non-empty',
            'file: out.sock exists',
            'json-schema: data.json schema.json',
            'json-schema: schema.json data.json',
          ],
        },
        spawn: {},
        maxAttempts: 1,
      });
      const [fifo, unix, data, schema] = outcome.attempts[0]!.results;
      expect(fifo).toMatchObject({ passed: false, detail: 'report.md is not a regular file (a FIFO)' });
      expect(unix).toMatchObject({ passed: false, detail: 'out.sock is not a regular file (a socket)' });
      expect(data!.passed).toBe(false);
      expect(data!.detail).toContain('not a regular file (FIFO)');
      expect(schema!.passed).toBe(false);
    } finally {
      socket.close();
    }
  }, 30_000);

  it("fails a pattern RE2 cannot run instead of running it on V8's backtracking engine", async () => {
    const results = await checked(
      {
        'twice.json': '"aa"',
        'backreference.json': JSON.stringify({ pattern: '^(a)\\1$' }),
        'long.json': JSON.stringify(`${'a'.repeat(50_000)}!`),
        'nested.json': JSON.stringify({ pattern: '^(a+)+$' }),
        'plain.json': JSON.stringify({ pattern: '^a+$' }),
      },
      [
        'json-schema: twice.json backreference.json',
        // Exponential on a backtracking engine (hours for this input); linear on RE2.
        'json-schema: long.json nested.json',
        'json-schema: twice.json plain.json',
      ],
    );
    expect(results[0]!.passed).toBe(false);
    expect(results[0]!.detail).toMatch(/pattern/);
    expect(results[1]!.passed).toBe(false);
    expect(results[1]!.detail).toContain('must match pattern');
    expect(results[2]!.passed, results[2]!.detail).toBe(true);
  }, 30_000);

  it('stops a schema whose check would take exponential time, and fails the criterion', async () => {
    // 28 levels of two refs each: ~2^28 subschema checks, most of a minute on a backtracking-free
    // engine before the limit (each level roughly doubles it).
    const defs: Record<string, object> = { d28: { type: 'string' } };
    for (let i = 0; i < 28; i++)
      defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
    const results = await checked(
      { 'data.json': '1', 'schema.json': JSON.stringify({ $defs: defs, $ref: '#/$defs/d0' }) },
      ['json-schema: data.json schema.json'],
    );
    expect(results[0]!.passed).toBe(false);
    expect(results[0]!.detail).toContain('the schema check ran past 2000 ms and was stopped');
  }, 120_000);

  it('never fetches a remote or file $ref, and fails the criterion instead', async () => {
    // A schema the workspace wrote naming a URL: fetching it would reach a server the model
    // chose (a request out of the sandbox's network rules) or read a file outside the
    // workspace; an unresolved ref must fail the check rather than pass it.
    let requests = 0;
    const server = createServer((socket) => {
      requests++;
      socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const results = await checked(
        {
          'data.json': '{"a": 1}',
          'remote.json': JSON.stringify({ $ref: `http://127.0.0.1:${port}/schema.json` }),
          'based.json': JSON.stringify({ $id: `http://127.0.0.1:${port}/base`, $ref: 'other.json' }),
          'file.json': JSON.stringify({ properties: { a: { $ref: 'file:///etc/passwd#/a' } } }),
        },
        [
          'json-schema: data.json remote.json',
          'json-schema: data.json based.json',
          'json-schema: data.json file.json',
        ],
      );
      for (const result of results) {
        expect(result.passed, result.detail).toBe(false);
        expect(result.detail).toContain("can't resolve reference");
      }
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  }, 30_000);

  it('fails a format it cannot check, and writes nothing to the terminal about it', async () => {
    const warned = vi.spyOn(console, 'warn');
    const results = await checked(
      {
        'mail.json': '"not a mail address"',
        'schema.json': JSON.stringify({ type: 'string', format: `email${'\u001b'}[2J` }),
      },
      ['json-schema: mail.json schema.json'],
    );
    expect(results[0]!.passed).toBe(false);
    expect(results[0]!.detail).toContain('is not checked here');
    expect(warned).not.toHaveBeenCalled();
  }, 30_000);

  it('fails an async schema, whose promise would pass anything', async () => {
    const results = await checked(
      { 'data.json': '"not a number"', 'schema.json': JSON.stringify({ $async: true, type: 'number' }) },
      ['json-schema: data.json schema.json'],
    );
    expect(results[0]!.passed).toBe(false);
    expect(results[0]!.detail).toContain('"$async" schemas are not checked here');
  }, 30_000);

  it("keeps a schema's error text bounded however long the names it quotes", async () => {
    const name = `x${'y'.repeat(1_000_000)}`;
    const results = await checked(
      {
        'data.json': '{}',
        'schema.json': JSON.stringify({ required: [name, `${name}2`, `${name}3`] }),
      },
      ['json-schema: data.json schema.json'],
    );
    expect(results[0]!.passed).toBe(false);
    expect(results[0]!.detail).toContain('must have required property');
    expect(results[0]!.detail.length).toBeLessThan(4000);
  }, 30_000);
});
