/**
 * A tool result's `data` as `tool_execution_end` carries it to hosts (`oxydra run --json`, the
 * kernel's bus, the gateway). The tool registry has already scrubbed it with the same secret
 * scrubber as the text; here it is bounded as the text is: a JSON value of at most
 * TOOL_DATA_MAX_BYTES, copied through JSON so no class instance, Buffer or cycle goes out. A value
 * over the bound (or not JSON) is left out and `dataOmittedBytes` says so (-1: not JSON).
 */
export const TOOL_DATA_MAX_BYTES = 16 * 1024;

export function boundToolData(data: unknown): { data?: unknown; dataOmittedBytes?: number } {
  if (data === undefined) return {};
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch {
    return { dataOmittedBytes: -1 };
  }
  if (json === undefined) return { dataOmittedBytes: -1 };
  const bytes = Buffer.byteLength(json);
  if (bytes > TOOL_DATA_MAX_BYTES) return { dataOmittedBytes: bytes };
  return { data: JSON.parse(json) as unknown };
}
