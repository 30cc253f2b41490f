/**
 * POST /login/redeem {code}: the dashboard trades a login code (login-codes.ts) for the token it
 * was minted for, once. Public like the probes: without a valid code it says only 401.
 */
import type { FastifyInstance } from 'fastify';
import { PUBLIC_ROUTE } from '../auth.js';
import type { LoginCodes } from '../login-codes.js';
import { replyError } from './reply-error.js';

const CODE = /^[A-Za-z0-9_-]{20,100}$/;

export function registerLoginRedeem(app: FastifyInstance, codes: LoginCodes): void {
  app.post('/login/redeem', PUBLIC_ROUTE, async (request, reply) => {
    const code = (request.body as { code?: unknown } | undefined)?.code;
    const token = typeof code === 'string' && CODE.test(code) ? codes.redeem(code) : undefined;
    if (token === undefined)
      return replyError(
        reply,
        401,
        'invalid_code',
        'the login code is unknown, used or expired: ask for a new one with `oxydra dashboard`',
      );
    reply.header('cache-control', 'no-store');
    return { token };
  });
}
