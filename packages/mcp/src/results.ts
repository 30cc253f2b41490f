/**
 * An MCP tool result as the text a model reads: text blocks joined, images, audio and
 * resources described in one line each (the model cannot use base64), an embedded text
 * resource given in full, structured content as JSON when there is nothing else.
 */
import type { ToolResult } from '@oxydra/types';

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

export function resultText(result: McpCallResult): string {
  const blocks = Array.isArray(result.content) ? (result.content as Block[]) : [];
  const parts = blocks.map(describeBlock).filter((part) => part.length > 0);
  if (parts.length > 0) return parts.join('\n');
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  if (result.toolResult !== undefined) return JSON.stringify(result.toolResult);
  return '(the tool returned no content)';
}

/** The ToolResult for the registry; `data` keeps the structured content for UIs and logs. */
export function toToolResult(result: McpCallResult, server: string, tool: string): ToolResult {
  const out: ToolResult = { content: resultText(result), isError: result.isError === true };
  const blocks = Array.isArray(result.content) ? (result.content as Block[]) : [];
  out.data = {
    server,
    tool,
    blocks: blocks.map((block) => block.type),
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
  };
  return out;
}
