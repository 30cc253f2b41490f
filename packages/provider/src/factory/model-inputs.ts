/**
 * Refuses attachments the selected model cannot read, before any request is sent: a user must
 * never get an answer about a file the model never saw. This checks the model (catalog input
 * modalities, e.g. a text-only o3-mini); each adapter then checks what its wire API can carry.
 * Models the catalog does not know are not checked: their capabilities are only assumed.
 */
import {
  type Context,
  type ModelEvent,
  type Provider,
  ProviderError,
  type StreamOptions,
} from '@oxydra/types';
import type { ModelInfo } from '../catalog/models.js';
import { attachmentKind } from '../shared/attachments.js';
import { wrapStream } from '../shared/stream.js';

export function withModelInputCheck(provider: Provider, model: ModelInfo, providerName: string): Provider {
  if (!model.known) return provider;
  const accepted = model.supportsAttachments ? model.capabilities.inputModalities : ['text'];
  /** Throws on the first attachment the model cannot read. */
  function check(context: Context): void {
    for (const message of context.messages) {
      if (message.role !== 'user' || typeof message.content === 'string') continue;
      for (const part of message.content) {
        if (part.type !== 'attachment') continue;
        const kind = attachmentKind(part.mimeType);
        if (kind === 'text' || accepted.includes(kind)) continue;
        const file = part.name ? ` ("${part.name}")` : '';
        throw new ProviderError(
          `${providerName} (${model.id}): the model cannot read ${part.mimeType} attachments${file}; it accepts ${accepted.join(', ')} input`,
          {
            kind: 'bad_request',
            provider: providerName,
            model: model.id,
            hint: 'choose a model that accepts this input (see `oxydra models show <id>`), or convert the file to text',
          },
        );
      }
    }
  }
  function stream(context: Context, options?: StreamOptions): AsyncIterable<ModelEvent> {
    try {
      check(context);
    } catch (error) {
      // A failure of the stream, when it is first read, as a refused request would be.
      return wrapStream({
        open: () => {
          throw error;
        },
      });
    }
    return provider.stream(context, options);
  }
  return { name: provider.name, type: provider.type, stream };
}
