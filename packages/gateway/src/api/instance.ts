/**
 * The REST API as a Fastify instance of its own, built by the door (door.ts) on the first
 * /api/v1 request. It never listens: the server hands it requests it has already authenticated.
 */
import type { Kernel } from '@oxydra/kernel';
import Fastify, { type FastifyInstance } from 'fastify';
import { frameworkErrors, setErrorReplies } from '../http/fastify-errors.js';
import { ZOD_ONLY_SCHEMAS } from '../http/fastify-schemas.js';
import { useBoundedJson } from '../http/json-body.js';
import type { GatewayLogger } from '../types.js';
import { type ApiOptions, registerApi } from './index.js';

export interface ApiDoorOptions extends ApiOptions {
  log: GatewayLogger;
  /** The gateway's request-body limit ([gateway] max_frame_bytes), kept by the API's instance. */
  maxBodyBytes: number;
}

export async function buildApiInstance(kernel: Kernel, options: ApiDoorOptions): Promise<FastifyInstance> {
  const instance = Fastify({
    logger: false,
    bodyLimit: options.maxBodyBytes,
    schemaController: ZOD_ONLY_SCHEMAS,
    frameworkErrors,
  });
  useBoundedJson(instance);
  setErrorReplies(instance, options.log, options.maxBodyBytes);
  registerApi(instance, kernel, options);
  await instance.ready();
  return instance;
}
