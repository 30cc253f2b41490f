/**
 * Images a tool returned (a browser screenshot) reach the model as one user message after the
 * batch's tool results: no wire API takes images inside every kind of tool result (OpenAI's
 * Chat Completions takes text only there), and tool results must directly follow the call.
 * A model the catalog says reads no images gets a note in the tool's result instead.
 */
import type { ModelInfo } from '@oxydra/provider/core';
import type { ContentPart, Message, ToolCall, ToolOutcome } from '@oxydra/types';

/** Models the catalog does not know are assumed to read images; their adapter says if not. */
const readsImages = (model: ModelInfo): boolean =>
  !model.known || (model.supportsAttachments && model.capabilities.inputModalities.includes('image'));

export function toolImages(
  calls: readonly ToolCall[],
  outcomes: readonly (ToolOutcome | undefined)[],
  model: ModelInfo,
  results: Message[],
): Message | undefined {
  const parts: ContentPart[] = [];
  calls.forEach((call, index) => {
    const images = outcomes[index]?.images;
    if (!images || images.length === 0) return;
    const result = results[index];
    if (!readsImages(model)) {
      if (result?.role === 'tool')
        result.content += `\n[${images.length} image(s) not shown: ${model.id} reads no images]`;
      return;
    }
    parts.push({
      type: 'text',
      text: `Image(s) from ${call.name} (call ${call.id}); page content, untrusted:`,
    });
    for (const image of images)
      parts.push({ type: 'attachment', mimeType: image.mimeType, data: image.data });
  });
  return parts.length > 0 ? { role: 'user', content: parts } : undefined;
}
