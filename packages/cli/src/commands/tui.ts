/**
 * `oxydra tui`: the terminal UI, a client of a running gateway. Checks the flags, finds the
 * gateway token (OXYDRA_GATEWAY_TOKEN, else the 0600 file ~/.config/oxydra/gateway-token that
 * `oxydra gateway` writes; @oxydra/config reads it, so this command never loads the gateway and
 * its server) and that it runs in a terminal, then hands over to @oxydra/tui, which is loaded
 * only here so no other command pays for Ink and React.
 */
import { requireGatewayToken } from '@oxydra/config/admin';
import { ConfigError, shortSessionId, UsageError } from '@oxydra/types';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { gatewayAddress, webSocketUrl } from '../run/gateway-address.js';
import { markInterrupted } from '../run/interrupted.js';

export const DEFAULT_GATEWAY_URL = 'ws://127.0.0.1:7700/ws';

export interface TuiFlags {
  gateway?: string;
  session?: string;
  user?: string;
}

/** The `oxydra tui` action (commander calls it with more arguments: it takes only the flags). */
export function runTuiCommand(flags: TuiFlags): Promise<number> {
  return openTui(flags, undefined);
}

/** `guestToken`: a runner guest's own token (runner-tui.ts); else the token is found as above. */
export async function openTui(
  flags: TuiFlags,
  guestToken: { value: string; source: string } | undefined,
): Promise<number> {
  const url = webSocketUrl(gatewayAddress(flags.gateway ?? DEFAULT_GATEWAY_URL));
  const sessionId = identifier(
    '--session',
    flags.session,
    'a session id as /sessions or `oxydra tui` printed it',
  );
  const userId = identifier('--user', flags.user, 'a user name such as alice');
  const token = guestToken ?? (await requireGatewayToken(process.env));
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    throw new UsageError(
      'oxydra tui needs a terminal: its input and output must not be piped or redirected',
      {
        hint: 'run it in a terminal; for scripts use `oxydra run`',
      },
    );

  const { GatewayConnectError, runTui } = await import('@oxydra/tui');
  let result: Awaited<ReturnType<typeof runTui>>;
  try {
    result = await runTui({
      url,
      token: token.value,
      ...(userId ? { userId } : {}),
      ...(sessionId ? { sessionId } : {}),
    });
  } catch (error) {
    if (!(error instanceof GatewayConnectError)) throw error;
    if (error.kind === 'unauthorized')
      throw new ConfigError(
        error.message,
        {},
        {
          hint: `the token from ${token.source} must be the one the gateway uses (its ~/.config/oxydra/gateway-token)`,
        },
      );
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  if (result.sessionId) {
    const id = shortSessionId(result.sessionId);
    process.stderr.write(`session ${id} (resume with oxydra tui --session ${id})\n`);
  }
  if (result.interrupted) markInterrupted();
  return EXIT_OK;
}

function identifier(flag: string, value: string | undefined, example: string): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > 200 || /[\s\p{Cc}]/u.test(trimmed))
    throw new UsageError(`${flag} needs ${example} (1-200 characters, no spaces)`);
  return trimmed;
}
