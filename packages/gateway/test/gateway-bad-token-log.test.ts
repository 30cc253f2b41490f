/**
 * A refused bad-token request is logged once per address, then counted: each was a warning line
 * of its own, so 10,000 requests with a wrong token were 10,000 lines in the gateway's log (and
 * on its disk). A real gateway on a real socket: 300 refused requests from 127.0.0.1 give the
 * first line, and one summary line with the count, said at the latest when the gateway stops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers.js';

let env: TestGateway | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe('the bad-token warning', () => {
  it('logs the first refused request from an address, then a count, not a line per request', async () => {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    env = await startTestGateway({
      log: (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) }),
    });
    const url = `${env.gateway.url}/api/v1/sessions`;
    for (let i = 0; i < 300; i++) {
      const response = await fetch(url, { headers: { authorization: `Bearer wrong-${i}` } });
      expect(response.status).toBe(401);
    }
    await env.gateway.close();
    const refused = lines.filter((line) => /refused .*(valid token|bad-token)/.test(line.message));
    expect(refused).toEqual([
      {
        level: 'warn',
        message: 'refused a request without a valid token',
        fields: { remote: '127.0.0.1', path: '/api/v1/sessions' },
      },
      {
        level: 'warn',
        message: 'refused 299 more bad-token requests from 127.0.0.1 in the last 60 s',
        fields: { dropped: 299, remote: '127.0.0.1' },
      },
    ]);
  });
});
