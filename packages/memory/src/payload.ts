/**
 * How a message is stored in conversation_events.payload: the Message as JSON, except that
 * attachment bytes are dropped. A transcript must stay small and must not keep every image
 * and PDF a user ever sent; the mime type, name and size stay, and the part is marked.
 *
 * So a loaded user message may contain attachment parts with `data: ''` and `omittedBytes`
 * (see isOmittedAttachment): replaying a session must replace them (attachmentPlaceholder)
 * before sending them to a provider.
 */
import type { AttachmentPart, ContentPart, Message, Role } from '@oxydra/types';
import { MemoryValidationError } from './errors.js';

/** An attachment whose bytes were not stored: `data` is '' and `omittedBytes` the original size. */
export interface OmittedAttachmentPart extends AttachmentPart {
  data: '';
  omittedBytes: number;
}

export function isOmittedAttachment(part: ContentPart): part is OmittedAttachmentPart {
  return (
    part.type === 'attachment' && typeof (part as Partial<OmittedAttachmentPart>).omittedBytes === 'number'
  );
}

/** A text stand-in for an attachment whose bytes are gone, e.g. `[attachment photo.png: image/png, 12.3 KB, not kept]`. */
export function attachmentPlaceholder(part: AttachmentPart): string {
  const size = isOmittedAttachment(part) ? part.omittedBytes : Buffer.byteLength(part.data, 'base64');
  const name = part.name ? ` ${part.name}` : '';
  return `[attachment${name}: ${part.mimeType}, ${formatBytes(size)}, not kept]`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function stripPart(part: ContentPart): ContentPart {
  if (part.type !== 'attachment' || isOmittedAttachment(part)) return part;
  const stripped: OmittedAttachmentPart = {
    type: 'attachment',
    mimeType: part.mimeType,
    ...(part.name !== undefined ? { name: part.name } : {}),
    data: '',
    omittedBytes: Buffer.byteLength(part.data, 'base64'),
  };
  return stripped;
}

/** The message as stored: attachment bytes replaced by their size. */
export function toStoredMessage(message: Message): Message {
  if (message.role !== 'user' || typeof message.content === 'string') return message;
  return { ...message, content: message.content.map(stripPart) };
}

export function encodePayload(message: Message): string {
  return JSON.stringify(toStoredMessage(message));
}

const ROLES: ReadonlySet<unknown> = new Set<Role>(['system', 'user', 'assistant', 'tool']);

export const isRole = (value: unknown): value is Role => ROLES.has(value);

/** The stored message, or the reason it is not one (the caller names session and seq). */
export function decodePayload(payload: string, role: string): Message | string {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const message = value as { role?: unknown; content?: unknown };
  if (typeof message.role !== 'string' || !ROLES.has(message.role))
    return `unknown role ${String(message.role)}`;
  if (message.role !== role) return `role ${message.role} does not match the column's ${role}`;
  if (typeof message.content !== 'string' && !Array.isArray(message.content)) return 'content missing';
  return value as Message;
}

/** Payloads encoded up front, so a message that cannot be serialised fails before any write. */
export function encodeTurn(messages: readonly Message[]): Array<{ role: Role; payload: string }> {
  return messages.map((message, index) => {
    // Messages can come from JSON (the gateway, imports): check what the types promise.
    const role: unknown = (message as { role?: unknown } | null)?.role;
    if (!isRole(role)) {
      throw new MemoryValidationError(
        'messages',
        `message ${index + 1} of the turn has role ${JSON.stringify(role)}; expected system, user, assistant or tool`,
      );
    }
    return { role: message.role, payload: encodePayload(message) };
  });
}
