/**
 * Attachments each API can carry, and the error for those it cannot. An attachment is never
 * dropped silently: the user would get an answer about a file the model never saw.
 */
import { type AttachmentPart, ProviderError } from '@oxydra/types';

export type AttachmentKind = 'image' | 'pdf' | 'audio' | 'video' | 'text' | 'other';

export function attachmentKind(mimeType: string): AttachmentKind {
  const mime = mimeType.toLowerCase();
  if (mime.startsWith('image/')) return 'image';
  if (mime === 'application/pdf') return 'pdf';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('text/')) return 'text';
  return 'other';
}

export function dataUrl(part: AttachmentPart): string {
  return `data:${part.mimeType};base64,${part.data}`;
}

export interface AttachmentScope {
  provider: string;
  model: string;
  /** Human name of the wire API, e.g. "the OpenAI Chat Completions API". */
  api: string;
  /** What this API accepts, for the message, e.g. "images". */
  accepted: string;
}

export function unsupportedAttachment(scope: AttachmentScope, part: AttachmentPart): ProviderError {
  const file = part.name ? ` ("${part.name}")` : '';
  return new ProviderError(
    `${scope.provider} (${scope.model}): ${scope.api} cannot take ${part.mimeType} attachments${file}; it accepts ${scope.accepted} only`,
    {
      kind: 'bad_request',
      provider: scope.provider,
      model: scope.model,
      hint: 'convert the file to text, or use a provider whose API accepts this file type',
    },
  );
}
