/** `@oxydra/kernel/skills`: skills and programs (install, list, enable), for `oxydra skills|programs`. */
export * from '../programs/index.js';
export * from '../skills/index.js';
