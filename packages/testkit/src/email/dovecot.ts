/**
 * A real IMAP server for tests: Debian's Dovecot (`apt-get install dovecot-imapd`), started with
 * a configuration of its own in a temporary folder: 127.0.0.1 on a free port, plain-text login
 * (loopback only), a passwd-file of the test's users and a maildir per user. Mail is delivered
 * by IMAP APPEND (imapflow), as a mail server's delivery agent would drop it in the mailbox.
 *
 * Without Dovecot the suites that need it are skipped with the reason in their name, unless
 * OXYDRA_REQUIRE_DOVECOT=1 (CI, which installs it) makes that a failure.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { pollUntil } from '../helpers/poll.js';

export interface MailUser {
  user: string;
  password: string;
}

const BINARIES = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];

/** Why Dovecot cannot run here, or undefined when it can. */
export function dovecotUnavailable(): string | undefined {
  if (!BINARIES.some((path) => existsSync(path)))
    return 'Dovecot is not installed (apt-get install dovecot-imapd)';
  if (process.getuid?.() !== 0) return 'the test Dovecot runs as root (it switches to its own users)';
  return undefined;
}

/** Throws when Dovecot is missing and OXYDRA_REQUIRE_DOVECOT=1 says this machine has it. */
export function dovecotSkipReason(): string | undefined {
  const reason = dovecotUnavailable();
  if (reason !== undefined && process.env.OXYDRA_REQUIRE_DOVECOT === '1') {
    throw new Error(`${reason}; OXYDRA_REQUIRE_DOVECOT=1 says this machine has it: install it`);
  }
  return reason;
}

export class Dovecot {
  readonly host = '127.0.0.1';
  readonly #child: ChildProcess;
  readonly #dir: string;
  #log = '';

  private constructor(
    readonly port: number,
    child: ChildProcess,
    dir: string,
  ) {
    this.#child = child;
    this.#dir = dir;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#log = (this.#log + chunk).slice(-20_000);
    });
  }

  /** Starts a Dovecot for `users`; resolves once it greets. */
  static async start(users: MailUser[]): Promise<Dovecot> {
    const binary = BINARIES.find((path) => existsSync(path));
    if (!binary) throw new Error(dovecotUnavailable());
    const dir = await mkdtemp(join(tmpdir(), 'oxydra-dovecot-'));
    // The login and mail processes run as Dovecot's own users: they must reach the sockets and maildirs.
    await chmod(dir, 0o755);
    const mail = join(dir, 'mail');
    await mkdir(mail, { mode: 0o777 });
    await chmod(mail, 0o777);
    await writeFile(join(dir, 'users'), users.map((u) => `${u.user}:{PLAIN}${u.password}\n`).join(''));
    const mailUid = userId('dovecot');
    const port = await freePort();
    await writeFile(
      join(dir, 'dovecot.conf'),
      `base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = oxydra-test-${port}
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:${mail}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailUid} home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
    );
    const child = spawn(binary, ['-F', '-c', join(dir, 'dovecot.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const server = new Dovecot(port, child, dir);
    try {
      await pollUntil(() => greets(port), 'Dovecot to listen', { timeoutMs: 15_000 });
    } catch (error) {
      await server.close();
      throw new Error(`${(error as Error).message}; its log:\n${server.log}`);
    }
    return server;
  }

  get log(): string {
    return this.#log;
  }

  /** Drops a raw message into `user`'s mailbox (IMAP APPEND); resolves with its UID. */
  append(user: MailUser, raw: string | Buffer, mailbox = 'INBOX'): Promise<number> {
    return this.#as(user, async (client) => {
      const appended = await client.append(mailbox, raw);
      if (!appended || appended.uid === undefined) throw new Error('APPEND returned no UID');
      return appended.uid;
    });
  }

  /** Deletes `mailbox` (when it exists) and creates it again: it gets a new UIDVALIDITY. */
  recreate(user: MailUser, mailbox: string): Promise<void> {
    return this.#as(user, async (client) => {
      await client.mailboxDelete(mailbox).catch(() => {});
      await client.mailboxCreate(mailbox);
    });
  }

  /** The flags of each mail in `user`'s `mailbox`, by UID ("\\Seen", ...). */
  flags(user: MailUser, mailbox = 'INBOX'): Promise<Map<number, string[]>> {
    return this.#as(user, async (client) => {
      const found = new Map<number, string[]>();
      const lock = await client.getMailboxLock(mailbox, { readOnly: true });
      try {
        for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: false })) {
          found.set(m.uid, [...(m.flags ?? [])].sort());
        }
      } finally {
        lock.release();
      }
      return found;
    });
  }

  async #as<T>(user: MailUser, work: (client: import('imapflow').ImapFlow) => Promise<T>): Promise<T> {
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => {});
    }
  }

  /** Stops Dovecot (its processes with it) and removes its folder. */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGTERM');
      await exited;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}

function userId(name: string): number {
  return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
}

/** Whether something on `port` sends an IMAP greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (/\* OK .*ready/.test(data)) done(true);
    });
    socket.on('error', () => done(false));
    setTimeout(() => done(false), 2000).unref();
  });
}
