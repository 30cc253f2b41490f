/**
 * The one secret policy: every configured credential's value, the memory server's token, MCP
 * servers' bearer tokens and credential-named settings, the OTLP export headers ([otel]
 * headers_env), and whatever the host adds (the gateway's token). The tool registry scrubs them
 * from tool output, the session hooks from stored transcripts and telemetry from what it
 * captures; all read this list and no other.
 */
import { credentialValues } from '@oxydra/provider/core';
import type { AgentConfig } from '@oxydra/types';

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
  secrets.push(...extra.filter((secret) => secret.length > 0));
  return [...new Set(secrets)];
}
