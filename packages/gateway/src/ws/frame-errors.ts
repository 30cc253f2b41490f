/** Turning a bad client frame into one line that says what is wrong, without echoing the frame. */
import { type ClientFrameType, clientFrameSchema } from '@oxydra/types/gateway';

/** The client frame types, read from their schema at the first bad frame (not at load). */
function clientFrameTypes(): readonly string[] {
  return clientFrameSchema().options.map((option): ClientFrameType => option.shape.type.value);
}

/** The request_id of a frame that failed validation, when it has a usable one. */
export function requestIdOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const payload = (json as { payload?: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const id = (payload as { request_id?: unknown }).request_id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}

/** The part of a zod error used here (zod is @oxydra/types' dependency, not this package's). */
interface ValidationError {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>;
}

export function describeInvalidFrame(json: unknown, error: ValidationError): string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'a frame is a JSON object {"type": ..., "payload": {...}}';
  }
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string') return 'the frame has no "type" (a string such as "hello")';
  const known = clientFrameTypes();
  if (!known.includes(type)) {
    return `unknown frame type ${JSON.stringify(type.slice(0, 60))} (known: ${known.join(', ')})`;
  }
  const issue = error.issues[0];
  if (!issue) return `invalid ${type} frame`;
  const path = issue.path.map(String).join('.');
  return `invalid ${type} frame: ${path ? `${path}: ` : ''}${issue.message}`;
}
