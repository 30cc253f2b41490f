export * from './config/index.js';
export * from './errors.js';
export * from './interfaces.js';
export * from './messages.js';
export * from './provider.js';
export * from './stream.js';
export * from './tools.js';
export * from './usage.js';
