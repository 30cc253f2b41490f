/**
 * The gateway token: where it comes from, and checking what clients present. From the variable
 * named by [gateway] auth_token_env, else OXYDRA_GATEWAY_TOKEN, else a token generated on first
 * start into ~/.config/oxydra/gateway-token (mode 0600), which local clients (TUI, CLI) read.
 * The gateway keeps only the token's SHA-256 and compares digests in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { userConfigDirectory } from '@oxydra/config';
import { ConfigError } from '@oxydra/types';

export const GATEWAY_TOKEN_ENV = 'OXYDRA_GATEWAY_TOKEN';
export const GATEWAY_TOKEN_FILE = 'gateway-token';
/** Shorter configured tokens are refused: they could be guessed. */
export const MIN_TOKEN_CHARS = 16;

export interface ResolvedToken {
  token: string;
  /** `env`: from a variable (a configured token); `file`: read or generated in the token file. */
  source: 'env' | 'file';
  /** The variable it came from (source env). */
  variable?: string;
  /** The token file (source file). */
  file?: string;
  /** True when this start wrote the file. */
  generated?: boolean;
}

/** ~/.config/oxydra/gateway-token, honouring XDG_CONFIG_HOME (as the config files do). */
export function gatewayTokenPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDirectory({ env }), GATEWAY_TOKEN_FILE);
}

export async function resolveGatewayToken(
  options: { env?: NodeJS.ProcessEnv; authTokenEnv?: string } = {},
): Promise<ResolvedToken> {
  const env = options.env ?? process.env;
  if (options.authTokenEnv !== undefined) {
    const value = env[options.authTokenEnv];
    if (!value) {
      throw new ConfigError(
        `gateway.auth_token_env names ${options.authTokenEnv}, but that variable is not set`,
        { keyPath: 'gateway.auth_token_env' },
        { hint: `export ${options.authTokenEnv}=<a long random token>, or remove gateway.auth_token_env` },
      );
    }
    return {
      token: checkConfigured(value, options.authTokenEnv),
      source: 'env',
      variable: options.authTokenEnv,
    };
  }
  const fromEnv = env[GATEWAY_TOKEN_ENV];
  if (fromEnv)
    return { token: checkConfigured(fromEnv, GATEWAY_TOKEN_ENV), source: 'env', variable: GATEWAY_TOKEN_ENV };
  const file = gatewayTokenPath(env);
  const existing = await readTokenFile(file);
  if (existing !== undefined) return { token: existing, source: 'file', file };
  return { ...(await createTokenFile(file)), source: 'file', file };
}

/** What a local client uses: OXYDRA_GATEWAY_TOKEN, else the token file; undefined when neither exists. */
export async function readClientToken(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return env[GATEWAY_TOKEN_ENV] || (await readTokenFile(gatewayTokenPath(env)));
}

function checkConfigured(token: string, variable: string): string {
  const clean = token.trim();
  if (clean.length < MIN_TOKEN_CHARS || /\s/.test(clean)) {
    throw new ConfigError(
      `${variable} must hold a token of at least ${MIN_TOKEN_CHARS} characters without spaces`,
      { source: `environment variable ${variable}` },
      {
        hint: `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
      },
    );
  }
  return clean;
}

/** The file's token; undefined if there is no file. Refuses a file other users can read. */
async function readTokenFile(path: string): Promise<string | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(
      `gateway token file ${path} is readable by other users (mode ${mode})`,
      {
        source: path,
      },
      { hint: `chmod 600 ${path}` },
    );
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < MIN_TOKEN_CHARS) {
    throw new ConfigError(
      `gateway token file ${path} holds no usable token`,
      { source: path },
      {
        hint: `delete ${path} and start the gateway again to generate a new one`,
      },
    );
  }
  return token;
}

/**
 * Writes a new random token to a temporary file (0600, fsynced), then links it into place:
 * link() fails if the file appeared meanwhile (another gateway starting), and then that one wins.
 * Readers never see a half-written file.
 */
async function createTokenFile(path: string): Promise<{ token: string; generated?: boolean }> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  const temporary = join(
    directory,
    `.${GATEWAY_TOKEN_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temporary, 0o600); // whatever the umask did
    await link(temporary, path);
    return { token, generated: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readTokenFile(path);
    if (theirs === undefined) throw error;
    return { token: theirs };
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Holds only the token's digest; `matches` compares in constant time. */
export class TokenCheck {
  readonly #digest: Buffer;

  constructor(token: string) {
    this.#digest = digest(token);
  }

  matches(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate.length === 0) return false;
    return timingSafeEqual(digest(candidate), this.#digest);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
