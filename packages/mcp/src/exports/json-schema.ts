/**
 * `@oxydra/mcp/json-schema`: the bounded JSON Schema pieces the MCP client validates with
 * (patterns on RE2, `uniqueItems` in linear time), for another host of hostile schemas (a spec
 * run's `json-schema:` criterion) without loading the MCP SDK.
 */
export { linearRegExp, strictLinearRegExp } from '../linear-regexp.js';
export { uniqueItemsKeyword } from '../unique-items.js';
