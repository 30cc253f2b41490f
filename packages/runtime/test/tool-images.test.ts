/** Tool images (a browser screenshot) reach a model that reads images, and only such a model. */
import type { ModelInfo } from '@oxydra/provider/core';
import type { Message, ToolOutcome } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { toolImages } from '../src/dispatch.js';

const model = (known: boolean, input: string[]): ModelInfo => ({
  id: 'm',
  name: 'm',
  namespace: 'openai',
  known,
  supportsAttachments: input.some((m) => m !== 'text'),
  capabilities: { supportsTools: true, supportsReasoning: false, inputModalities: input },
});
const calls = [
  { id: 'c1', name: 'browser_screenshot', arguments: {} },
  { id: 'c2', name: 'file_read', arguments: {} },
];
const outcomes: ToolOutcome[] = [
  { content: 'shot', isError: false, durationMs: 1, images: [{ mimeType: 'image/png', data: 'iVBOR' }] },
  { content: 'text', isError: false, durationMs: 1 },
];
const results = (): Message[] =>
  calls.map((call, i) => ({
    role: 'tool',
    toolCallId: call.id,
    toolName: call.name,
    content: outcomes[i]!.content,
  }));

describe('toolImages', () => {
  it('sends the images as one user message after the results to a model that reads images', () => {
    const tools = results();
    const message = toolImages(calls, outcomes, model(true, ['text', 'image']), tools);
    expect(message).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Image(s) from browser_screenshot (call c1); page content, untrusted:' },
        { type: 'attachment', mimeType: 'image/png', data: 'iVBOR' },
      ],
    });
    expect(tools[0]?.content).toBe('shot');
  });

  it('tells a text-only model, in the tool result, that it got no image', () => {
    const tools = results();
    expect(toolImages(calls, outcomes, model(true, ['text']), tools)).toBeUndefined();
    expect(tools[0]?.content).toBe('shot\n[1 image(s) not shown: m reads no images]');
  });

  it('adds nothing when no tool returned an image', () => {
    expect(
      toolImages(calls.slice(1), outcomes.slice(1), model(true, ['text', 'image']), results()),
    ).toBeUndefined();
  });
});
