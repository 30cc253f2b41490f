/**
 * The one secret policy: every configured credential's value, the memory server's token, MCP
 * servers' bearer tokens and credential-named settings, the OTLP export headers ([otel]
 * headers_env), the value of every variable a `*_key_env`/`*_token_env`/`*_secret_env`/
 * `*_password_env` setting names (A2A remotes' tokens, the gateway's token, chat channels' bot
 * tokens, webhook secrets and mail passwords), the store URL's password, credential-named
 * variables passed to commands ([tools.shell] env_keys), and whatever the host adds. The tool registry scrubs them
 * from tool output, the session hooks from stored transcripts and telemetry from what it
 * captures; all read this list and no other.
 */
import { credentialValues } from '@oxydra/provider/core';
import { type AgentConfig, urlPassword } from '@oxydra/types';

/** Shorter values would scrub ordinary words; no real key is that short. */
const CREDENTIAL_NAME = /token|key|secret|password|passwd|authorization|credential/i;

const MIN_SECRET_LENGTH = 8;

export function knownSecrets(
  config: AgentConfig,
  env: NodeJS.ProcessEnv,
  extra: readonly string[],
): string[] {
  const secrets = credentialValues(Object.values(config.providers.registry), env).filter(
    (key) => key.length >= MIN_SECRET_LENGTH,
  );
  if (config.memory.auth_token) secrets.push(config.memory.auth_token);
  // MCP servers' bearer tokens, and values of their settings named like credentials.
  for (const server of Object.values(config.mcp.servers)) {
    const token = server.bearer_token_env !== undefined ? env[server.bearer_token_env] : undefined;
    if (token && token.length >= MIN_SECRET_LENGTH) secrets.push(token);
    for (const [name, value] of [...Object.entries(server.env), ...Object.entries(server.headers)]) {
      if (CREDENTIAL_NAME.test(name) && value.length >= MIN_SECRET_LENGTH) secrets.push(value);
    }
  }
  // The OTLP export headers ([otel] headers_env): "authorization=Bearer x,..." and each value.
  const otelHeaders = config.otel.headers_env !== undefined ? env[config.otel.headers_env] : undefined;
  if (otelHeaders) {
    const values = otelHeaders.split(',').map((entry) => entry.slice(entry.indexOf('=') + 1).trim());
    // "Bearer x": the value, and the credential after its scheme.
    const parts = [otelHeaders, ...values, ...values.map((value) => value.split(/\s+/).at(-1) ?? '')];
    for (const part of parts) if (part.length >= MIN_SECRET_LENGTH) secrets.push(part);
  }
  const { variables, urlPasswords } = configCredentials(config);
  for (const name of variables) {
    const value = env[name];
    if (value && value.length >= MIN_SECRET_LENGTH) secrets.push(value);
  }
  // A command may print what it was given (`printenv DB_PASSWORD`, a client's debug output).
  for (const name of config.tools.shell.env_keys) {
    const value = env[name];
    if (CREDENTIAL_NAME.test(name) && value && value.length >= MIN_SECRET_LENGTH) secrets.push(value);
    if (value) urlPasswords.add(passwordOf(value));
  }
  // A literal [store] url holds no password (refused); the one in url_env's variable may.
  urlPasswords.add(passwordOf(env[config.store.url_env]));
  for (const password of urlPasswords) if (password.length >= MIN_SECRET_LENGTH) secrets.push(password);
  secrets.push(...extra.filter((secret) => secret.length > 0));
  return [...new Set(secrets)];
}

/** A setting naming the variable that holds a credential: token_env, bot_token_env, password_env... */
const CREDENTIAL_VARIABLE_SETTING = /(?:^|_)(?:key|token|secret|password)_env$/;

/** The password of a URL's userinfo or `?password=` ('' for none): `DATABASE_URL`, an OTLP endpoint. */
function passwordOf(value: string | undefined): string {
  return value?.includes('://') ? (urlPassword(value) ?? '') : '';
}

/**
 * What the configuration says of credentials, anywhere in it: the variables credential settings
 * name, and the passwords in URLs it holds (`[otel] endpoint = "http://user:pw@collector"`, an
 * MCP server's `env.DATABASE_URL`). One rule rather than a list of sections, so a new channel's
 * or remote's `*_token_env` or URL is covered the day it is added.
 */
function configCredentials(config: AgentConfig): { variables: Set<string>; urlPasswords: Set<string> } {
  const variables = new Set<string>();
  const urlPasswords = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (typeof item === 'string' && CREDENTIAL_VARIABLE_SETTING.test(key)) variables.add(item);
        else if (typeof item === 'string') urlPasswords.add(passwordOf(item));
        else visit(item);
      }
    }
  };
  visit(config);
  return { variables, urlPasswords };
}
