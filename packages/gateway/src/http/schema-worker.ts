/**
 * The worker thread a client's structured-output schema is compiled and checked in (the pool is
 * schema-workers.ts): Ajv compiles a client's schema to code and runs it, and however costly
 * that is, it holds this thread, never the gateway's. The kernel's checker keeps its compilers
 * (Ajv's meta-schemas, ~60 ms to make) here between checks; each schema is still compiled on
 * its own. The pool's hard time limit ends this thread; the checker's own limit is set past it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type SchemaCheckOptions, schemaErrors } from '@oxydra/kernel/json-schema';

/** What the pool asks: `schema` compiled and `data` checked against it. */
export interface SchemaJob {
  id: number;
  schema: object;
  data: unknown;
}

/** The answer: the errors (none when `data` matches), or why the schema could not be used. */
export type SchemaJobResult = { id: number; errors: string[] } | { id: number; failed: string };

const port = parentPort;
if (port) {
  const options = workerData as SchemaCheckOptions;
  // Warmed before `ready`: making the compiler is not the client's cost, and the pool's time
  // limit starts only once a job is handed over.
  schemaErrors({}, null, options);
  port.on('message', ({ id, schema, data }: SchemaJob) => {
    let result: SchemaJobResult;
    try {
      result = { id, errors: schemaErrors(schema, data, options) };
    } catch (error) {
      result = { id, failed: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(result);
  });
  port.postMessage('ready');
}
