/**
 * The gateway token on the gateway's side: where it comes from, generating it, and checking
 * what clients present. From the variable named by [gateway] auth_token_env, else
 * OXYDRA_GATEWAY_TOKEN, else a token generated on first start into ~/.config/oxydra/gateway-token
 * (mode 0600), which local clients (TUI, CLI) read. Locating and reading the token (the part
 * clients share) is @oxydra/config's, so a client need not load this package to find it.
 * Checking what requests present is auth.ts's (TokenCheck): this file runs at start only.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  GATEWAY_TOKEN_ENV,
  GATEWAY_TOKEN_FILE,
  gatewayTokenFromVariable,
  gatewayTokenPath,
  readGatewayTokenFile,
} from '@oxydra/config/admin';
import { ConfigError } from '@oxydra/types';

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

export async function resolveGatewayToken(
  options: { env?: NodeJS.ProcessEnv; authTokenEnv?: string } = {},
): Promise<ResolvedToken> {
  const env = options.env ?? process.env;
  if (options.authTokenEnv !== undefined) {
    const token = gatewayTokenFromVariable(env, options.authTokenEnv);
    if (token === undefined) {
      throw new ConfigError(
        `gateway.auth_token_env names ${options.authTokenEnv}, but that variable is not set`,
        { keyPath: 'gateway.auth_token_env' },
        { hint: `export ${options.authTokenEnv}=<a long random token>, or remove gateway.auth_token_env` },
      );
    }
    return { token, source: 'env', variable: options.authTokenEnv };
  }
  const fromEnv = gatewayTokenFromVariable(env, GATEWAY_TOKEN_ENV);
  if (fromEnv !== undefined) return { token: fromEnv, source: 'env', variable: GATEWAY_TOKEN_ENV };
  const file = gatewayTokenPath(env);
  const existing = await readGatewayTokenFile(file);
  if (existing !== undefined) return { token: existing, source: 'file', file };
  return { ...(await createTokenFile(file)), source: 'file', file };
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
    const theirs = await readGatewayTokenFile(path);
    if (theirs === undefined) throw error;
    return { token: theirs };
  } finally {
    await rm(temporary, { force: true });
  }
}
