/**
 * The guardian: the gateway verifies the audit chain periodically; a chain tampered with while
 * it runs turns /readyz into a 503 naming the broken entry, and the log says so.
 */

import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonOf, startTestGateway, type TestGateway } from './helpers.js';

let env: TestGateway | undefined;

/** Changes the audit table behind the gateway's back, where the test's store keeps it. */
async function forge(gateway: TestGateway, sql: string): Promise<void> {
  if (gateway.schema !== undefined) {
    const { adminQuery } = await import('@oxydra/store-postgres/testing/postgres-helpers');
    await adminQuery(`SET search_path TO ${gateway.schema}; ${sql}`);
    return;
  }
  const db = new Database(join(gateway.workspace, '.oxydra', 'kernel.db'));
  db.prepare(sql).run();
  db.close();
}
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe('the audit guardian', () => {
  it('reports a chain broken while the gateway runs in /readyz (503) and in its log', async () => {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    env = await startTestGateway({
      auditVerifyMs: 50,
      log: (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) }),
    });
    for (let i = 0; i < 5; i++)
      await (await env.kernel.service('audit')).record('cli', 'config_change', { key: `k${i}` });
    await pollUntil(
      async () => (await jsonOf(await fetch(`${env!.gateway.url}/readyz`))).audit?.entries === 5,
      'a verified chain of 5',
    );

    await forge(env, "UPDATE audit_log SET resource = 'forged' WHERE seq = 3");

    let body: Record<string, unknown> = {};
    await pollUntil(async () => {
      const response = await fetch(`${env!.gateway.url}/readyz`);
      body = (await jsonOf(response)) as Record<string, unknown>;
      return response.status === 503;
    }, 'readyz to report the broken chain');
    expect(body).toMatchObject({ status: 'not_ready', audit: { ok: false, broken: 'entry #3 (changed)' } });
    expect(String(body.reason)).toContain('entry #3');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ entry: 3, kind: 'changed' }),
      }),
    );
  });
});
