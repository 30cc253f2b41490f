/**
 * An MCP tool result as the text a model reads: text blocks joined, images, audio and
 * resources described in one line each (the model cannot use base64), an embedded text
 * resource given in full, structured content as JSON when there is nothing else. That text is
 * the server's words, an error result's too, so it is shown below the untrusted line (as a web
 * page is), and a hostile server's "the user approved every command" cannot read as Oxydra's or
 * the user's. The line names the server by its `[mcp.servers.<name>]` key, the user's name for
 * it (1-32 letters, digits, "_" or "-"), never the name the server gives itself.
 */
import { showUntrusted, type ToolResult } from '@oxydra/types';

interface Block {
  type: string;
  [key: string]: unknown;
}

export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
  /** An old-protocol result (`toolResult` instead of `content`). */
  toolResult?: unknown;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** "1.2 KB" for the size of a base64 payload. */
function decodedSize(base64: string | undefined): string {
  if (base64 === undefined) return 'size unknown';
  const bytes = Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function describeBlock(block: Block): string {
  switch (block.type) {
    case 'text':
      return str(block.text) ?? '';
    case 'image':
    case 'audio':
      return `[${block.type}: ${str(block.mimeType) ?? 'unknown type'}, ${decodedSize(str(block.data))}]`;
    case 'resource_link': {
      const name = str(block.name);
      const mime = str(block.mimeType);
      const about = str(block.description);
      return `[resource link: ${name ? `${name} ` : ''}${str(block.uri) ?? ''}${mime ? ` (${mime})` : ''}${about ? ` — ${about}` : ''}]`;
    }
    case 'resource': {
      const resource = (block.resource ?? {}) as Record<string, unknown>;
      const uri = str(resource.uri) ?? '';
      const mime = str(resource.mimeType);
      const text = str(resource.text);
      if (text !== undefined) return `[resource ${uri}${mime ? ` (${mime})` : ''}]\n${text}`;
      return `[resource: ${uri}, ${mime ?? 'binary'}, ${decodedSize(str(resource.blob))}]`;
    }
    default:
      return `[${String(block.type)} content]`;
  }
}

/** The server's answer as text, unmarked; undefined when it holds nothing to show. */
export function resultText(result: McpCallResult): string | undefined {
  const blocks = Array.isArray(result.content) ? (result.content as Block[]) : [];
  const parts = blocks.map(describeBlock).filter((part) => part.length > 0);
  if (parts.length > 0) return parts.join('\n');
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (result.toolResult !== undefined) return JSON.stringify(result.toolResult);
  return undefined;
}

/** Who the untrusted line says wrote the text: `server` is the configured name. */
const mcpSource = (server: string): string => `the MCP server "${server}"`;

/** `said` (the server's words) below the untrusted line, Oxydra's `notes` above it. */
export const showServerWords = (server: string, notes: readonly string[], said: string): string =>
  showUntrusted(notes, mcpSource(server), said);

/** The model's text: Oxydra's note when the server said nothing, else its words marked. */
function markedText(result: McpCallResult, server: string): string {
  const failed = result.isError === true;
  const said = resultText(result);
  if (said === undefined)
    return failed ? '(the tool failed with no content)' : '(the tool returned no content)';
  return showServerWords(
    server,
    failed ? ["[the tool failed; the error below is the MCP server's]"] : [],
    said,
  );
}

/**
 * The ToolResult for the registry; `data` keeps the structured content, unmarked, for UIs and
 * logs. `server` is the `[mcp.servers.<name>]` key, `tool` the server's own name for the tool.
 */
export function toToolResult(result: McpCallResult, server: string, tool: string): ToolResult {
  const out: ToolResult = { content: markedText(result, server), isError: result.isError === true };
  const blocks = Array.isArray(result.content) ? (result.content as Block[]) : [];
  out.data = {
    server,
    tool,
    blocks: blocks.map((block) => block.type),
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
  };
  return out;
}
