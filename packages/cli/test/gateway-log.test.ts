/**
 * The gateway's logger: an error's text can carry a key (a provider echoing what it was sent);
 * once the kernel's secrets are known, every line has them replaced, on the terminal and in the
 * log file alike, and a line logged before they are known is written as it is.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { gatewayLogger } from '../src/run/gateway-log.js';

const KEY = 'sk-test-0123456789abcdef0123456789';

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

describe('the gateway log', () => {
  it('replaces known secret values in the message and the fields, in both sinks', () => {
    for (const format of ['pretty', 'json'] as const) {
      const out = capture();
      const file: string[] = [];
      let secrets: readonly string[] = [];
      const log = gatewayLogger(format, out, {
        color: false,
        debug: false,
        file: (line) => file.push(line),
        secrets: () => secrets,
      });
      log('info', `before the kernel: ${KEY}`);
      secrets = [KEY];
      log('error', `provider said: invalid key ${KEY}`, { detail: `Bearer ${KEY}`, status: 401 });
      const [before, after] = file.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(before?.msg).toContain(KEY);
      expect(after?.msg).toBe('provider said: invalid key [REDACTED]');
      expect(after).toMatchObject({ detail: 'Bearer [REDACTED]', status: 401 });
      const lines = out.text().trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).not.toContain(KEY);
      expect(lines[1]).toContain('[REDACTED]');
    }
  });
});
