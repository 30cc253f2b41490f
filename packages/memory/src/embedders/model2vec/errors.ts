/**
 * The one error type this embedder throws to its callers: a configuration-class OxydraError
 * (the fix is a config change or putting files in place) whose message names the model, the
 * URL or file at fault, and ends with the fix. The fix is not repeated as `hint`: the CLI
 * prints both, and the message must stand alone wherever it is logged.
 */
import { OxydraError } from '@oxydra/types';

export class Model2VecError extends OxydraError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('config_error', message, options);
  }
}
