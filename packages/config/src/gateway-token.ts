/**
 * Reading the gateway token, the one way every reader does it (the gateway itself and its
 * local clients, such as `oxydra tui`): OXYDRA_GATEWAY_TOKEN first, else the file
 * ~/.config/oxydra/gateway-token (honouring XDG_CONFIG_HOME, like the config files), which must
 * be private (no group or other permission bits). Generating the file is the gateway's job.
 *
 * One rule for every token read, wherever it comes from: trimmed, at least 16 characters,
 * printable ASCII without spaces. Shorter tokens could be guessed, and a token travels in an
 * HTTP header. Messages name where a token came from, never the token.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@oxydra/types';
import { userConfigDirectory } from './locations.js';

export const GATEWAY_TOKEN_ENV = 'OXYDRA_GATEWAY_TOKEN';
export const GATEWAY_TOKEN_FILE = 'gateway-token';
/** Shorter tokens are refused: they could be guessed. */
export const MIN_GATEWAY_TOKEN_CHARS = 16;

const GENERATE_HINT = `node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;

export interface GatewayTokenFound {
  value: string;
  /** Where it came from, for messages (never the value): the variable's name or the file's path. */
  source: string;
}

/** ~/.config/oxydra/gateway-token, honouring XDG_CONFIG_HOME (as the config files do). */
export function gatewayTokenPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDirectory({ env }), GATEWAY_TOKEN_FILE);
}

/**
 * The token held by a variable, checked; undefined when the variable is unset or empty.
 * `variable` is OXYDRA_GATEWAY_TOKEN for clients, or the gateway's [gateway] auth_token_env.
 */
export function gatewayTokenFromVariable(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  return checkGatewayToken(raw, variable, {
    location: `environment variable ${variable}`,
    hint: `set ${variable} to the token the gateway uses; make a new one with: ${GENERATE_HINT}`,
  });
}

/** The file's token, checked; undefined when there is no file. Refuses a file others can read. */
export async function readGatewayTokenFile(path: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `gateway token file ${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`,
      { source: path },
      { hint: `chmod 600 ${path}` },
    );
  }
  return checkGatewayToken(await readFile(path, 'utf8'), path, {
    location: path,
    hint: `delete ${path} and start the gateway again to generate a new one`,
  });
}

/** What a local client uses: OXYDRA_GATEWAY_TOKEN, else the token file; undefined when neither exists. */
export async function findGatewayToken(
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayTokenFound | undefined> {
  const fromEnv = gatewayTokenFromVariable(env, GATEWAY_TOKEN_ENV);
  if (fromEnv !== undefined) return { value: fromEnv, source: GATEWAY_TOKEN_ENV };
  const path = gatewayTokenPath(env);
  const fromFile = await readGatewayTokenFile(path);
  return fromFile === undefined ? undefined : { value: fromFile, source: path };
}

/** findGatewayToken for a client that cannot go on without one: says where it looked. */
export async function requireGatewayToken(env: NodeJS.ProcessEnv = process.env): Promise<GatewayTokenFound> {
  const found = await findGatewayToken(env);
  if (found) return found;
  throw new ConfigError(
    `no gateway token: ${GATEWAY_TOKEN_ENV} is not set and ${gatewayTokenPath(env)} does not exist`,
    {},
    {
      hint: `start the gateway with \`oxydra gateway\` (it writes that file), or set ${GATEWAY_TOKEN_ENV}`,
    },
  );
}

/**
 * The trimmed token if it follows the rule above; a ConfigError naming `source` if not.
 * `location` is where the error is recorded (a file path, or "environment variable X").
 */
export function checkGatewayToken(
  raw: string,
  source: string,
  options: { location: string; hint: string },
): string {
  const token = raw.trim();
  const problem =
    token === ''
      ? 'is empty'
      : !/^[\x21-\x7e]+$/.test(token)
        ? 'contains spaces or non-printable characters'
        : token.length < MIN_GATEWAY_TOKEN_CHARS
          ? `is too short (tokens need at least ${MIN_GATEWAY_TOKEN_CHARS} characters)`
          : undefined;
  if (problem === undefined) return token;
  throw new ConfigError(
    `the gateway token from ${source} ${problem}`,
    { source: options.location },
    { hint: options.hint },
  );
}
