/**
 * Fastify's own errors (unparsable JSON, a wrong content type, a body too large...) as the
 * gateway's one-line OpenAI-shaped errors. Its internal FST_ERR_* codes and messages never reach
 * a client: they name Fastify internals, not what the client should do.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayLogger } from '../types.js';
import { JsonTooDeepError } from './json-body.js';
import { replyError } from './reply-error.js';

/**
 * The gateway's error and not-found answers, on the server and on the REST API's own instance
 * (api-door.ts) alike, so a client cannot tell which of them answered.
 */
export function setErrorReplies(app: FastifyInstance, log: GatewayLogger, maxBodyBytes: number): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500 && !error.validation) log('error', 'request failed', { error: String(error) });
    return fastifyErrorReply(reply, error, maxBodyBytes);
  });
  app.setNotFoundHandler((request, reply) =>
    replyError(reply, 404, 'not_found', `no endpoint ${request.method} ${request.url.split('?', 1)[0]}`),
  );
}

/**
 * The router's refusals (Fastify's `frameworkErrors` option), which come before any hook and
 * the error handler: a path segment over Fastify's maxParamLength (100) and broken
 * percent-encoding. Fastify's own answer named its FST_ERR_* code and echoed the whole URL.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path segment (an id) is over 100 characters, the longest the gateway routes'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'the URL is not valid: broken percent-encoding (%XX)'
        : 'the request cannot be routed';
  replyError(reply, 400, 'invalid_request', message);
}

function fastifyErrorReply(reply: FastifyReply, error: FastifyError, maxBodyBytes: number): FastifyReply {
  const status = error.statusCode ?? 500;
  if (error.validation) return replyError(reply, 400, 'invalid_request', `invalid request: ${error.message}`);
  if (error instanceof JsonTooDeepError) return replyError(reply, 400, 'invalid_json', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return replyError(
        reply,
        413,
        'frame_too_large',
        `request body over the ${maxBodyBytes}-byte limit ([gateway] max_frame_bytes)`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return replyError(
        reply,
        415,
        'unsupported_media_type',
        'send the request body as JSON with "Content-Type: application/json"',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return replyError(reply, 400, 'invalid_json', 'the request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return replyError(reply, 400, 'invalid_json', 'the request body is not valid JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError)
    return replyError(reply, 400, 'invalid_json', 'the request body is not valid JSON');
  if (status < 500)
    return replyError(
      reply,
      status,
      'invalid_request',
      `the request was refused (HTTP ${status}): check its headers and body`,
    );
  return replyError(reply, 500, 'internal_error', 'internal error in the gateway (details are in its log)');
}
