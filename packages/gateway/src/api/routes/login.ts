/**
 * POST /api/v1/login-codes: a single-use, one-minute code that signs a browser into the
 * dashboard as the token that asked for it (`oxydra dashboard` prints `<gateway>/#code=<code>`).
 * The trade itself, POST /login/redeem, is public (the code is the credential): see
 * http/login-redeem.ts and login-codes.ts.
 */
import { z } from 'zod';
import { presentedToken } from '../../auth.js';
import type { LoginCodes } from '../../login-codes.js';
import { route } from '../define.js';

export function loginRoutes(codes: LoginCodes) {
  return [
    route({
      method: 'post',
      path: '/login-codes',
      tag: 'system',
      summary: 'A one-time code that signs the dashboard in as this token',
      description:
        'Open `<gateway>/#code=<code>` within a minute: the page trades the code, once, for this token and removes it from the address bar. The token never appears in a URL.',
      status: 201,
      response: z.object({
        code: z.string(),
        expires_at: z.string().describe('ISO time; a code not traded by then is void'),
        path: z.string().describe('what to open on the gateway: /#code=<code>'),
      }),
      handler: ({ reply }) => {
        const token = presentedToken(reply.request.headers)!;
        const minted = codes.mint(token);
        return {
          code: minted.code,
          expires_at: new Date(minted.expiresAt).toISOString(),
          path: `/#code=${minted.code}`,
        };
      },
    }),
  ];
}
