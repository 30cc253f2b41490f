// Where the MCP fixture servers live, for other packages' tests (they import
// @oxydra/mcp/testing/fixture-paths, not a relative path into this folder).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

/** The path of packages/mcp/test/fixtures, or of a file in it: mcpFixtures('trivial-server.mjs'). */
export const mcpFixtures = (...parts: string[]): string => join(FIXTURES, ...parts);
