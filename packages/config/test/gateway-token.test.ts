/** Reading the gateway token as the gateway and its local clients do: variable, file, one rule. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { ConfigError } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findGatewayToken,
  GATEWAY_TOKEN_ENV,
  gatewayTokenFromVariable,
  gatewayTokenPath,
  readGatewayTokenFile,
  requireGatewayToken,
} from '../src/exports/admin.js';

const TOKEN = 'file-token-0123456789abcdef';

let workspace: TempWorkspace;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  workspace = tempWorkspace({ prefix: 'oxydra-gateway-token-' });
  dir = workspace.dir;
  env = { HOME: join(dir, 'home') };
});
afterEach(() => workspace.cleanup());

function writeTokenFile(content: string, mode = 0o600): string {
  const path = gatewayTokenPath(env);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('where the gateway token file is', () => {
  it('is gateway-token in the user config dir, honouring XDG_CONFIG_HOME', () => {
    expect(gatewayTokenPath({ HOME: '/h' })).toBe('/h/.config/oxydra/gateway-token');
    expect(gatewayTokenPath({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/oxydra/gateway-token');
  });
});

describe('finding the token as a client', () => {
  it('takes OXYDRA_GATEWAY_TOKEN first (trimmed), then the file', async () => {
    writeTokenFile(`${TOKEN}\n`);
    expect(await findGatewayToken({ ...env, [GATEWAY_TOKEN_ENV]: '  env-token-0123456789abc \n' })).toEqual({
      value: 'env-token-0123456789abc',
      source: GATEWAY_TOKEN_ENV,
    });
    expect(await findGatewayToken(env)).toEqual({ value: TOKEN, source: gatewayTokenPath(env) });
    // An empty variable is an unset one.
    expect(await findGatewayToken({ ...env, [GATEWAY_TOKEN_ENV]: '' })).toEqual({
      value: TOKEN,
      source: gatewayTokenPath(env),
    });
  });

  it('finds nothing when neither exists; requireGatewayToken says where it looked', async () => {
    expect(await findGatewayToken(env)).toBeUndefined();
    const error = await failure(requireGatewayToken(env));
    expect(error.message).toBe(
      `no gateway token: OXYDRA_GATEWAY_TOKEN is not set and ${gatewayTokenPath(env)} does not exist`,
    );
    expect(error.hint).toBe(
      'start the gateway with `oxydra gateway` (it writes that file), or set OXYDRA_GATEWAY_TOKEN',
    );
  });
});

describe('the token file', () => {
  it('is refused when other users can read it, naming the mode and never the token', async () => {
    const path = writeTokenFile(`${TOKEN}\n`, 0o640);
    const error = await failure(readGatewayTokenFile(path));
    expect(error.message).toBe(`gateway token file ${path} is readable by other users (mode 0640)`);
    expect(error.hint).toBe(`chmod 600 ${path}`);
    expect(error.message + error.hint).not.toContain(TOKEN);
  });

  it('reads undefined when it does not exist', async () => {
    expect(await readGatewayTokenFile(join(dir, 'nowhere'))).toBeUndefined();
  });

  it('is refused when empty or unusable, with the hint to generate a new one', async () => {
    const path = writeTokenFile('\n');
    const empty = await failure(readGatewayTokenFile(path));
    expect(empty.message).toBe(`the gateway token from ${path} is empty`);
    expect(empty.hint).toBe(`delete ${path} and start the gateway again to generate a new one`);
    writeTokenFile('short\n');
    expect((await failure(readGatewayTokenFile(path))).message).toBe(
      `the gateway token from ${path} is too short (tokens need at least 16 characters)`,
    );
  });
});

describe('one rule for every token read', () => {
  const variable = 'SOME_TOKEN_VAR';
  const read = (value: string) => () => gatewayTokenFromVariable({ [variable]: value }, variable);

  it('accepts 16+ printable ASCII characters without spaces, trimmed', () => {
    expect(read('  abcdefghijklmnop\n')()).toBe('abcdefghijklmnop');
    expect(read('!#$%&()*+,-./:;<=>?@[]^_{|}~0123')()).toBe('!#$%&()*+,-./:;<=>?@[]^_{|}~0123');
    expect(gatewayTokenFromVariable({}, variable)).toBeUndefined();
  });

  it('refuses spaces, control or non-ASCII characters, and fewer than 16 characters, never echoing it', () => {
    const cases: [string, string][] = [
      ['with a space inside 0123', 'contains spaces or non-printable characters'],
      ['tab\there-0123456789', 'contains spaces or non-printable characters'],
      ['ünïcödé-0123456789abc', 'contains spaces or non-printable characters'],
      ['fifteen-chars-1', 'is too short (tokens need at least 16 characters)'],
      ['   ', 'is empty'],
    ];
    for (const [value, problem] of cases) {
      let error: unknown;
      try {
        read(value)();
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      const { message, hint } = error as ConfigError;
      expect(message, value).toBe(`the gateway token from ${variable} ${problem}`);
      expect(hint, value).toMatch(
        /^set SOME_TOKEN_VAR to the token the gateway uses; make a new one with: node -e/,
      );
      if (value.trim() !== '') expect(message + hint).not.toContain(value.trim());
    }
  });
});
