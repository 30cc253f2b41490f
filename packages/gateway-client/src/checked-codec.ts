/**
 * The codec that checks every frame against the shared zod schemas in both directions: a frame
 * we send that does not match is a bug in the caller (thrown), a frame we receive that does not
 * match is the gateway's problem (reported and ignored, never fatal). Node clients (the TUI,
 * tests) use it; the dashboard does not, to keep zod out of its bundle.
 */
import { clientFrameSchema, serverFrameSchema } from '@oxydra/types/gateway';
import { type FrameCodec, parseJson, preview } from './codec.js';

export const checkedCodec: FrameCodec = {
  decode(text) {
    const json = parseJson(text);
    if (!json.ok) return json;
    const value = json.value;
    const parsed = serverFrameSchema().safeParse(value);
    if (parsed.success) return { ok: true, frame: parsed.data };
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return {
      ok: false,
      problem: `${typeof type === 'string' ? `a "${preview(type)}" frame` : 'a frame'} that does not match protocol v2${where}: ${issue?.message ?? 'invalid'}`,
    };
  },
  /** Applies the schema's defaults; throws if the frame is invalid. */
  encode: (frame) => JSON.stringify(clientFrameSchema().parse(frame)),
};
