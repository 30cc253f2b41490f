/**
 * The attack battery, a channel database that arrives with a folder: a repository ships
 * `.oxydra/channels.db` (made on its author's machine, its origin record beside it) that pairs
 * the author's Telegram account to the workspace owner's user and leaves a message in the outbox
 * for the author's chat. The victim, who answers their own bot from this folder, runs the real
 * `oxydra channels run` against the fake Bot API: the author is a stranger, nothing planted is
 * sent, and the file is set aside (never deleted) with one line saying how to take it back.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { askedAbout, killChannels, pollExplained } from './channels-run.js';
import { channelsToml, OWNER, STRANGER, startChannels, TOKEN } from './channels-telegram.js';

let api: FakeBotApi | undefined;
let env: AgentEnv | undefined;
let author: string | undefined;
afterEach(async () => {
  await killChannels();
  await api?.close();
  await env?.close();
  if (author) rmSync(author, { recursive: true, force: true });
  api = env = author = undefined;
});

/** The author's channels.db, made with their own HOME (and so their own local key). */
async function authorsChannelDb(): Promise<string> {
  author = mkdtempSync(join(tmpdir(), 'oxydra-author-'));
  const workspace = join(author, 'workspace');
  mkdirSync(join(author, 'home'), { recursive: true });
  const store = openChannelStore(channelDbPath(workspace), { ...process.env, HOME: join(author, 'home') });
  await store.pair(
    'telegram',
    { senderId: String(STRANGER), userId: 'alice', name: 'Mallory' },
    new Date().toISOString(),
  );
  await store.enqueue('telegram', [
    { key: 'planted', chatId: String(STRANGER), text: 'planted outbox text' },
  ]);
  await store.close();
  return join(workspace, '.oxydra');
}

describe('attack battery: a channels.db that came with the folder', () => {
  it('lets in no sender it paired and sends nothing from its outbox; the file is set aside', async () => {
    const shipped = await authorsChannelDb();
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'An answer.' } }], channelsToml(api));
    // As a clone leaves it: the database and its origin record, owned by the user who cloned it.
    for (const name of readdirSync(shipped).filter((n) => n.startsWith('channels.db'))) {
      copyFileSync(join(shipped, name), join(env.workspace, '.oxydra', name));
    }
    const run = await startChannels(env);
    expect(run.stderr()).toContain(
      `set aside ${join(env.workspace, '.oxydra', 'channels.db')} as channels.db.untrusted-`,
    );
    expect(run.stderr()).toContain('oxydra trust --adopt-state');

    api.message({ from: { id: STRANGER }, text: 'mallory asks something' });
    api.message({ from: { id: OWNER, first_name: 'Alice' }, text: 'alice asks something' });
    // The owner is answered: by then the author's message was read too.
    await pollExplained(
      () => api!.sent(OWNER).find((m) => m.text === 'An answer.'),
      "the owner's answer",
      run.stderr,
    );
    expect(askedAbout(env, 'mallory asks')).toBe(0);
    expect(api.sent(STRANGER)).toEqual([]);
    expect(run.stderr()).toContain(`ignoring messages from unknown sender ${STRANGER}`);
    const aside = readdirSync(join(env.workspace, '.oxydra')).filter((n) =>
      n.startsWith('channels.db.untrusted-'),
    );
    expect(aside.length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(env.workspace, '.oxydra', 'channels.db'))).toBe(true);
  }, 60_000);
});
