export * from './a2a-schema.js';
export * from './agent-schema.js';
export * from './kernel-schema.js';
export * from './mcp-schema.js';
export * from './plugins-schema.js';
export * from './runner-schema.js';
export * from './secrets.js';
