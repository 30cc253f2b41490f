/**
 * The event contract's current version. Consumers import the schemas from here; a later version
 * sits beside v1 in its own folder, and a consumer that must read both imports each folder.
 */
export * from './v1/index.js';
