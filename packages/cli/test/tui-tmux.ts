/**
 * Driving a real terminal program under tmux: a private tmux server (its own socket), one
 * 120x40 pane running the command, keys sent with send-keys, the screen read with capture-pane.
 * After the command exits the pane prints its exit status and stays open: tmux can mark a pane
 * dead before it has read a fast-exiting program's last output, so the status line (printed
 * after that output) is the reliable signal. kill() ends the server and every process in it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

export class TmuxPane {
  private readonly socket = `oxydra-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly configFile: string;

  /** `dir` holds the tmux config file (a test's temp dir). */
  constructor(dir: string) {
    this.configFile = join(dir, 'tmux.conf');
    writeFileSync(this.configFile, 'set -g history-limit 5000\n');
  }

  /** Start `argv` in a fresh 120x40 pane with exactly `env` (plus nothing from this process). */
  start(argv: string[], env: Record<string, string>, cwd: string): void {
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    const program = ['env', '-i', ...assignments, ...argv].map(shellQuote).join(' ');
    const command = `${program}; echo "${EXIT_MARK}$?]"; exec sleep 86400`;
    this.tmux([
      '-f',
      this.configFile,
      'new-session',
      '-d',
      '-x',
      '120',
      '-y',
      '40',
      '-s',
      'test',
      '-c',
      cwd,
      command,
    ]);
  }

  /** The visible screen, lines joined with \n (trailing blanks trimmed). */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', 'test'])
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd();
  }

  /**
   * The visible screen with its styles as SGR escape sequences (capture-pane -e), to check that
   * text is drawn bold, dim, coloured.
   */
  styledScreen(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-t', 'test']);
  }

  /**
   * Paste `text` as a terminal does (paste-buffer -p): wrapped in ESC[200~ ... ESC[201~ when the
   * program turned bracketed paste on, bare otherwise; line breaks arrive as CR, as typed.
   */
  paste(text: string): void {
    this.tmux(['load-buffer', '-b', 'test-paste', '-'], text);
    this.tmux(['paste-buffer', '-p', '-d', '-b', 'test-paste', '-t', 'test']);
  }

  /** Type text literally (no key names interpreted). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'test', '-l', text]);
  }

  /** Press keys by tmux name: Enter, C-c, M-Enter, C-j, BSpace... */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'test', ...keys]);
  }

  /** The command's exit status once it has exited. */
  exitStatus(): number | undefined {
    const match = new RegExp(`${escapeRegExp(EXIT_MARK)}(\\d+)\\]`).exec(this.screen());
    return match ? Number(match[1]) : undefined;
  }

  /** The screen without the exit status line. */
  output(): string {
    return this.screen()
      .split('\n')
      .filter((line) => !line.startsWith(EXIT_MARK))
      .join('\n')
      .trimEnd();
  }

  /** Poll the screen until `check` holds; the failure shows the last screen. */
  async waitForScreen(check: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const seen = await pollUntil(
      () => {
        const screen = this.screen();
        return check(screen) && { screen };
      },
      what,
      { timeoutMs, intervalMs: 50 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the screen:\n${this.screen()}`);
    });
    return seen.screen;
  }

  async waitForText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitForScreen((screen) => screen.includes(text), JSON.stringify(text), timeoutMs);
  }

  async waitForExit(timeoutMs = 15_000): Promise<number> {
    const exited = await pollUntil(
      () => {
        const status = this.exitStatus();
        return status !== undefined && { status };
      },
      'the program to exit',
      { timeoutMs, intervalMs: 50 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the screen:\n${this.screen()}`);
    });
    return exited.status;
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }

  private tmux(args: string[], input?: string): string {
    const env = { ...process.env };
    delete env.TMUX; // a test run inside tmux must still get its own server
    return execFileSync('tmux', ['-u', '-L', this.socket, ...args], {
      encoding: 'utf8',
      env,
      ...(input === undefined ? {} : { input }),
    });
  }
}

const EXIT_MARK = '[test program exited with status ';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
