/**
 * The store [store] (or --store) names, through the real binary against a real PostgreSQL:
 * `oxydra store migrate|status`, an `oxydra run` whose session lives in PostgreSQL (read back
 * through the store itself), `oxydra sessions` and `oxydra memory` reading it there, the refusals (a URL with a
 * password, a server that does not answer: one line, exit 2, never the password), and that the
 * default libSQL path loads neither `pg` nor @oxydra/store-postgres. Each test has its own schema,
 * dropped after.
 */
import { randomBytes } from 'node:crypto';
import { helloClient } from '@oxydra/gateway/testing/hello-client';
import type { GatewayClient } from '@oxydra/gateway-client';
import { LATEST_VERSION, openPostgresStores } from '@oxydra/store-postgres';
import {
  adminQuery,
  describePostgres,
  dropSchema,
  freshSchema,
  POSTGRES_URL,
} from '@oxydra/store-postgres/testing/postgres-helpers';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { type CliResult, CliSandbox } from './helpers.js';
import { anyContains, moduleRecorder } from './module-recorder.js';
import { freePort } from './ports.js';

/** Strings only the code in question has: pg's SASL login, the package's migration lock. */
const PG_CODE = 'SCRAM-SERVER-FIRST-MESSAGE';
const STORE_CODE = 'pg_advisory_lock';

/** POSTGRES_URL with another password, port or database (the test server trusts any password). */
function urlWith(parts: { password?: string; port?: number; database?: string }): string {
  const url = new URL(POSTGRES_URL);
  if (parts.password !== undefined) url.password = parts.password;
  if (parts.port !== undefined) url.port = String(parts.port);
  if (parts.database !== undefined) url.pathname = `/${parts.database}`;
  return url.href;
}

/** `user@host:port/db`, as the store names its server. */
function targetOf(url: string): string {
  const parsed = new URL(url);
  return `${decodeURIComponent(parsed.username)}@${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** A refusal: exit 2, what it says on one line (and its hint), no stack, never the password. */
function expectRefusal(result: CliResult, password: string, says: string | RegExp): void {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).toMatch(says);
  expect(
    result.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('  hint: ')),
  ).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(`${result.stdout}${result.stderr}`).not.toContain(password);
}

let sandbox: CliSandbox | undefined;
let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
let client: GatewayClient | undefined;
const schemas: string[] = [];
afterEach(async () => {
  client?.close();
  client = undefined;
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
  await env?.close();
  env = undefined;
  await Promise.all(schemas.splice(0).map(dropSchema));
});

function schemaForTest(): string {
  const schema = freshSchema();
  schemas.push(schema);
  return schema;
}

describePostgres('oxydra store and --store on PostgreSQL', () => {
  it('store migrate applies every migration once, then is up to date; status says where the schema stands', async () => {
    const schema = schemaForTest();
    sandbox = new CliSandbox({ OXYDRA_STORE_URL: POSTGRES_URL });
    sandbox.write('.oxydra/agent.toml', `[store]\nbackend = "postgres"\nschema = "${schema}"\n`);
    const target = targetOf(POSTGRES_URL);

    const before = sandbox.run('store', 'status');
    expect(before.status, before.stderr).toBe(0);
    expect(before.stdout).toContain(`target      ${target} (URL from OXYDRA_STORE_URL)`);
    expect(before.stdout).toContain(`schema      ${schema}`);
    expect(before.stdout).toContain(`migrations  0 of ${LATEST_VERSION} applied`);
    expect(before.stdout).toContain('reachable   yes');

    const first = sandbox.run('store', 'migrate');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('applied 1 sessions');
    expect(first.stdout).toContain(`schema ${schema} at ${target} is now at version ${LATEST_VERSION}`);
    const again = sandbox.run('store', 'migrate');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(
      `schema ${schema} at ${target} is up to date (version ${LATEST_VERSION})`,
    );

    const status = sandbox.run('store', 'status', '--json');
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      backend: 'postgres',
      target,
      urlFrom: 'OXYDRA_STORE_URL',
      schema,
      latest: LATEST_VERSION,
      reachable: true,
      version: LATEST_VERSION,
    });

    // --store libsql beats the file: the embedded store has nothing to migrate.
    const libsql = sandbox.run('store', 'migrate', '--store', 'libsql');
    expect(libsql.status, libsql.stderr).toBe(0);
    expect(libsql.stdout).toContain('libsql, nothing to migrate');
    expect(sandbox.run('store', 'status', '--store', 'libsql').stdout).toContain('backend     libsql');

    // `oxydra memory` keeps notes where the agents do.
    const saved = sandbox.run('memory', 'add', 'the deploy key rotates on tuesdays');
    expect(saved.status, saved.stderr).toBe(0);
    const stores = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
    try {
      expect((await stores.notes.list()).map((note) => note.content)).toEqual([
        'the deploy key rotates on tuesdays',
      ]);
    } finally {
      await stores.close();
    }
    expect(sandbox.run('memory', 'search', 'deploy key').stdout).toContain(
      'the deploy key rotates on tuesdays',
    );

    // The admin commands open the same control stores as the gateways on this database: a token
    // made here is a row there, audited in its chain, which verifies.
    const token = sandbox.run('token', 'add', '--user', 'carol');
    expect(token.status, token.stderr).toBe(0);
    const control = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
    try {
      expect((await control.control.tokens.list()).map((t) => t.userId)).toEqual(['carol']);
      expect((await control.control.audit.range(0, 100)).map((e) => e.actionType)).toEqual(['token_add']);
    } finally {
      await control.close();
    }
    const verify = sandbox.run('audit', 'verify');
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });

  it('oxydra doctor connects to the store once for its store and deployment checks (and the event bus its own two)', {
    timeout: 60_000,
  }, async () => {
    // A database of the test's own: pg_stat_database counts every connection ever made to it.
    const database = `oxydra_doctor_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    try {
      const url = urlWith({ database });
      await (await openPostgresStores({ url })).close(); // migrated: the deployment check runs
      const connections = async () => {
        const [row] = await adminQuery<{ made: number; open: number }>(
          'SELECT sessions::int AS made, numbackends AS open FROM pg_stat_database WHERE datname = $1',
          [database],
        );
        return row!;
      };
      // Each look is a connection of its own (to the test database): every 100 ms, not 25.
      const before = await pollUntil(
        async () => {
          const now = await connections();
          return now.open === 0 && now;
        },
        'the migration to disconnect',
        { intervalMs: 100 },
      );

      sandbox = new CliSandbox({ OXYDRA_STORE_URL: url });
      sandbox.write('.oxydra/agent.toml', '[store]\nbackend = "postgres"\n');
      const doctor = sandbox.run('doctor');
      expect(doctor.stdout).toMatch(/\[ok\] +store +postgres .*: reachable, migrations/);
      expect(doctor.stdout).toMatch(
        /\[ok\] +deployment +event bus \(LISTEN\/NOTIFY on the store's server\) answers; no process of the deployment is running/,
      );
      const after = await pollUntil(
        async () => {
          const now = await connections();
          return now.open === 0 && now.made >= before.made + 3 && now;
        },
        "doctor's connections to be counted",
        { intervalMs: 100 },
      );
      // One for the schema's version and the live processes, two for the bus (LISTEN, NOTIFY).
      expect(after.made - before.made).toBe(3);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });

  it('refuses a URL with a password in a flag or a file, and names a server it cannot use without the password', async () => {
    const schema = schemaForTest();
    const password = 'hunter2-not-shown';
    sandbox = new CliSandbox();

    const flag = sandbox.run('store', 'status', '--store', urlWith({ password }));
    expectRefusal(flag, password, /--store: store\.url = .* holds a password.*OXYDRA_STORE_URL/);
    // The driver reads a `password` parameter as the password too: refused the same way.
    const param = sandbox.run('store', 'status', '--store', `${urlWith({})}?password=${password}`);
    expectRefusal(param, password, /--store: store\.url = .* holds a password.*OXYDRA_STORE_URL/);

    sandbox.write('.oxydra/agent.toml', `[store]\nbackend = "postgres"\nurl = "${urlWith({ password })}"\n`);
    expectRefusal(sandbox.run('store', 'migrate'), password, /store\.url = .* holds a password/);

    // The password where it belongs, in the variable; but nothing listens on that port.
    sandbox.write('.oxydra/agent.toml', `[store]\nbackend = "postgres"\nschema = "${schema}"\n`);
    const port = await freePort();
    sandbox.env.OXYDRA_STORE_URL = urlWith({ password, port });
    const down = targetOf(urlWith({ port }));
    expectRefusal(sandbox.run('store', 'migrate'), password, `cannot use PostgreSQL at ${down}: `);
    // Every host that opens a kernel goes through the store: run, the gateway, mcp.
    for (const command of [
      ['run', 'hello'],
      ['gateway', '--bind', '127.0.0.1:0'],
      ['mcp', 'list'],
    ]) {
      expectRefusal(sandbox.run(...command), password, `cannot use PostgreSQL at ${down}: `);
    }
    const status = sandbox.run('store', 'status');
    expect(status.status).toBe(1);
    expect(status.stdout).toMatch(new RegExp(`reachable +no: cannot use PostgreSQL at ${down}: `));
    expect(status.stdout + status.stderr).not.toContain(password);

    // A database the server does not have.
    sandbox.env.OXYDRA_STORE_URL = urlWith({ password, database: 'oxydra_no_such_database' });
    expectRefusal(sandbox.run('store', 'migrate'), password, /oxydra_no_such_database.*does not exist/);

    // A URL that does not parse (a port past 65535, an unencoded "/" in the password): a
    // configuration mistake said as one, not the driver's bare "Invalid URL" called a bug (exit 1).
    for (const url of [
      `postgres://postgres:${password}@127.0.0.1:99999/test`,
      `postgres://postgres:${password}/x@127.0.0.1:5432/test`,
    ]) {
      sandbox.env.OXYDRA_STORE_URL = url;
      expectRefusal(sandbox.run('store', 'migrate'), password, /^error: OXYDRA_STORE_URL is not a valid URL/);
      expectRefusal(sandbox.run('run', 'hello'), password, /^error: OXYDRA_STORE_URL is not a valid URL/);
    }

    // Without any URL: the variable to set.
    delete sandbox.env.OXYDRA_STORE_URL;
    expectRefusal(sandbox.run('store', 'migrate'), password, /OXYDRA_STORE_URL is not set/);
  });

  it('oxydra run --store keeps the session in PostgreSQL; sessions list and show read it there; libSQL loads no pg', async () => {
    const schema = schemaForTest();
    // The schema is set in the file; the backend stays libsql there: --store picks PostgreSQL.
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { reply: { text: 'Kept in the file.' } },
        { reply: { text: 'Kept in PostgreSQL.' } },
        { reply: { text: 'Continued from PostgreSQL.' } },
      ],
      `\n[store]\nschema = "${schema}"\n`,
    );
    env.sandbox.env.OXYDRA_STORE_URL = POSTGRES_URL;
    // A URL on the command line must not hold a password; a test server that needs one gets it
    // from the variable.
    const store = ['--store', new URL(POSTGRES_URL).password ? 'postgres' : POSTGRES_URL];

    // The default: the embedded file, and neither pg nor the PostgreSQL stores are loaded.
    const recorder = moduleRecorder(env.sandbox.root);
    env.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const plain = await env.run(['run', 'first']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(anyContains(recorder.loaded(), PG_CODE)).toBe(false);
    expect(anyContains(recorder.loaded(), STORE_CODE)).toBe(false);
    recorder.clear();

    const run = await env.run(['run', ...store, 'second']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Kept in PostgreSQL.');
    // The check can tell: this run loaded both.
    expect(anyContains(recorder.loaded(), PG_CODE)).toBe(true);
    expect(anyContains(recorder.loaded(), STORE_CODE)).toBe(true);
    delete env.sandbox.env.NODE_OPTIONS;

    // The session is in PostgreSQL, read through the store.
    const stores = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
    let id: string;
    try {
      const sessions = await stores.sessions.list({});
      expect(sessions).toHaveLength(1);
      id = sessions[0]!.id;
      const messages = JSON.stringify(await stores.sessions.loadMessages(id));
      expect(messages).toContain('second');
      expect(messages).toContain('Kept in PostgreSQL.');
    } finally {
      await stores.close();
    }
    // ...and not in the workspace's file, which holds the first run's only.
    const inFile = JSON.parse((await env.run(['sessions', 'list', '--json'])).stdout) as { id: string }[];
    expect(inFile).toHaveLength(1);
    expect(inFile[0]!.id).not.toBe(id);

    const listed = await env.run(['sessions', 'list', '--json', ...store]);
    expect(listed.status, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((s) => s.id)).toEqual([id]);
    const shown = await env.run(['sessions', 'show', id.slice(-8), ...store]);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Kept in PostgreSQL.');

    // doctor reports the store: the server, the schema, migrated.
    const doctor = await env.run(['doctor', ...store]);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `\\[ok\\] +store +postgres .*, schema ${schema}: reachable, migrations ${LATEST_VERSION} of ${LATEST_VERSION} applied \\(current\\)`,
      ),
    );

    // A replay reads the session's recording from PostgreSQL (and runs it in a scratch copy).
    const replay = await env.run(['sessions', 'replay', id.slice(-8), ...store]);
    expect(replay.status, replay.stderr + replay.stdout).toBe(0);
    expect(replay.stdout).toContain('IDENTICAL');

    // A run continuing the session reads its history back from PostgreSQL.
    const next = await env.run(['run', ...store, '--session', id, 'third']);
    expect(next.status, next.stderr).toBe(0);
    expect(next.stdout).toContain('Continued from PostgreSQL.');
    expect(env.mock.requests.at(-1)?.raw).toContain('Kept in PostgreSQL.');
  });

  it('oxydra gateway --store keeps a WebSocket session in PostgreSQL, and stops cleanly', async () => {
    const schema = schemaForTest();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'Served from PostgreSQL.' } }],
      `\n[store]\nschema = "${schema}"\n`,
    );
    env.sandbox.env.OXYDRA_STORE_URL = POSTGRES_URL;
    daemon = await GatewayDaemon.start(env, ['--store', 'postgres']);
    const wsToken = generatedToken(env);
    const hello = await helloClient(daemon.wsUrl, { user_id: 'alice' }, wsToken);
    client = hello.client;
    const sessionId = hello.ack.session.session_id;
    client.send('send_turn', { session_id: sessionId, turn_id: 't1', prompt: 'Say something' });
    const completed = await hello.inbox.take('turn_completed', () => true, 15_000);
    expect(completed.payload).toMatchObject({ response: { message: 'Served from PostgreSQL.' } });

    const stores = await openPostgresStores({ url: POSTGRES_URL, schema, migrate: false });
    try {
      expect(JSON.stringify(await stores.sessions.loadMessages(sessionId))).toContain(
        'Served from PostgreSQL.',
      );
    } finally {
      await stores.close();
    }
    // SIGTERM: the kernel closes, then the pool (run/store-choice.ts), and the gateway exits 0.
    client.close();
    client = undefined;
    daemon.kill('SIGTERM');
    expect(await daemon.exited, daemon.stderr).toBe(0);
    expect(daemon.logs().map((line) => line.msg)).toContain('stopped');
  });
});
