/**
 * Which of an MCP server's listed tools are offered to the model, and how: namespaced
 * `<server>__<tool>`, only those `tools = [...]` allows and tools/call can run, a schema over
 * the limits left out (named in the health line), a description marked as the server's and cut
 * to its cap, the safety tier the configured one else read_only for readOnlyHint else
 * privileged, and arguments checked for size, then against the schema, before a call leaves.
 */
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type {
  JsonSchema,
  McpServerConfig,
  Provenance,
  SafetyTier,
  Tool,
  ToolContext,
  ToolResult,
} from '@oxydra/types';
import { argumentProblem, markedDescription, schemaProblem } from './limits.js';
import { namespacedNames } from './names.js';
import { argumentCheck, modelParameters } from './validate.js';

/** One server tool as offered, with what the call needs. */
export interface McpToolInfo {
  /** The namespaced name the model uses. */
  name: string;
  /** The server's own name for it. */
  original: string;
  safety: SafetyTier;
  readOnlyHint: boolean | undefined;
}

export interface OfferContext {
  server: string;
  config: McpServerConfig;
  callTimeoutMs: number;
  /** Takes secrets out of a line meant for the health report. */
  scrub: (text: string) => string;
  /** Sends a checked call to the server. */
  call: (info: McpToolInfo, args: Record<string, unknown>, context: ToolContext) => Promise<ToolResult>;
}

export interface OfferedTools {
  tools: Tool[];
  infos: McpToolInfo[];
  /** Tools left out, each with why (already scrubbed). */
  leftOut: string[];
  /** How many descriptions were cut. */
  cut: number;
  /** How many tools run only as MCP tasks (not callable with tools/call). */
  skipped: number;
}

export function offerTools(listed: McpTool[], offer: OfferContext): OfferedTools {
  const { server, config: limits } = offer;
  const provenance: Provenance = { kind: 'mcp', source: server };
  const allow = limits.tools ? new Set(limits.tools) : undefined;
  // A tool that can run only as an MCP task cannot be called with tools/call.
  const callable = listed.filter((tool) => tool.execution?.taskSupport !== 'required');
  const chosen = callable.filter((tool) => !allow || allow.has(tool.name));
  const names = namespacedNames(
    server,
    chosen.map((tool) => tool.name),
  );
  const result: OfferedTools = {
    tools: [],
    infos: [],
    leftOut: [],
    cut: 0,
    skipped: listed.length - callable.length,
  };
  for (const mcp of chosen) {
    const name = names.get(mcp.name);
    if (name === undefined) continue;
    const tooBig = schemaProblem(mcp.inputSchema, limits.max_schema_bytes);
    if (tooBig !== undefined) {
      result.leftOut.push(offer.scrub(`${name.slice(0, 64)}: ${tooBig}`));
      continue;
    }
    // The server's words: marked as its own, in the cap (markedDescription).
    const description = markedDescription(
      server,
      mcp.description?.trim() || mcp.annotations?.title || mcp.title || mcp.name,
      limits.max_description_chars,
    );
    if (description.cut) result.cut++;
    const readOnlyHint = mcp.annotations?.readOnlyHint;
    const safety: SafetyTier = limits.safety ?? (readOnlyHint === true ? 'read_only' : 'privileged');
    const info: McpToolInfo = { name, original: mcp.name, safety, readOnlyHint };
    const schema = mcp.inputSchema as JsonSchema;
    const check = argumentCheck(name, schema);
    result.infos.push(info);
    result.tools.push({
      name,
      description: description.text,
      parameters: modelParameters(schema),
      safety,
      timeoutMs: offer.callTimeoutMs,
      // Whatever the server answers is its own words: the taint policy counts it as untrusted.
      provenance: () => provenance,
      execute: (args, context) => {
        // Size and depth first: they bound the validation, which walks the arguments.
        const tooLarge = argumentProblem(args, limits.max_argument_bytes);
        if (tooLarge !== undefined) {
          return Promise.resolve({
            content:
              `Refused ${name}: ${tooLarge}. Nothing was sent to MCP server "${server}". ` +
              'Send smaller arguments (split the work into several calls).',
            isError: true,
          });
        }
        const problem = check(args);
        if (problem !== undefined) return Promise.resolve({ content: problem, isError: true });
        return offer.call(info, args, context);
      },
    });
  }
  return result;
}
