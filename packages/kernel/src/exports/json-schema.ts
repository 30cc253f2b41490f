/**
 * `@oxydra/kernel/json-schema`: bounded JSON Schema checks of hostile schemas and data (RE2
 * patterns, a compiler per check, a time limit), for the gateway's structured output. Its own
 * entry so that importing the kernel does not load Ajv.
 */
export { type SchemaCheckOptions, schemaErrors } from '../spec/json-schema.js';
