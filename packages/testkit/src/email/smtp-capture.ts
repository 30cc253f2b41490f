/**
 * A real SMTP server for tests (the `smtp-server` package) that keeps what it is sent: the
 * envelope, the raw message and the message parsed by mailparser. It requires a login (the one
 * the test configures), so an adapter that does not authenticate fails.
 */
import type { AddressObject, ParsedMail } from 'mailparser';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export class SmtpCapture {
  readonly host = '127.0.0.1';
  readonly received: CapturedMail[] = [];
  /** Logins tried, with whether they were accepted (never the password). */
  readonly logins: { user: string; ok: boolean }[] = [];

  private constructor(
    readonly port: number,
    private readonly server: { close(callback: () => void): void },
  ) {}

  static async start(login: { user: string; password: string }): Promise<SmtpCapture> {
    const [{ SMTPServer }, { simpleParser }] = await Promise.all([
      import('smtp-server'),
      import('mailparser'),
    ]);
    let capture: SmtpCapture | undefined;
    const server = new SMTPServer({
      secure: false,
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 30_000_000,
      onAuth(auth, _session, callback) {
        const ok = auth.username === login.user && auth.password === login.password;
        capture?.logins.push({ user: auth.username ?? '', ok });
        if (!ok) return callback(new Error('535 Authentication failed'));
        callback(null, { user: auth.username });
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then(
            (parsed) => {
              capture!.received.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
                raw,
                parsed,
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
    capture = new SmtpCapture(address.port, server);
    return capture;
  }

  /** The mails sent to `address` (envelope recipient), in order. */
  to(address: string): CapturedMail[] {
    return this.received.filter((m) => m.to.includes(address.toLowerCase()));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(resolve));
  }
}

/** The first address of a parsed header (To, From...). */
export function firstAddress(field: AddressObject | AddressObject[] | undefined): string | undefined {
  const object = Array.isArray(field) ? field[0] : field;
  return object?.value[0]?.address;
}
