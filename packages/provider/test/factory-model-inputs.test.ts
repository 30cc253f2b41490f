import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { type Context, ProviderError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { BreakerRegistry, createProvider } from '../src/index.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function withImage(model: string): Context {
  return {
    model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'attachment', mimeType: 'image/png', data: PNG, name: 'pixel.png' },
        ],
      },
    ],
  };
}

let mock: MockLLM | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function setup(model: string) {
  mock = await startMockLLM({
    api: 'openai-chat',
    scenario: [{ reply: { text: 'A pixel.' }, times: 'always' }],
  });
  // A proxy of OpenAI's own models: catalog checks apply through catalog_provider.
  const config = agentConfigSchema.parse({
    selection: { provider: 'proxy', model },
    providers: {
      registry: { proxy: { provider_type: 'openai', base_url: mock.url, catalog_provider: 'openai' } },
    },
  });
  return createProvider(config, { env: {}, hooks: { breakers: new BreakerRegistry() } });
}

async function drain(setupResult: Awaited<ReturnType<typeof setup>>, context: Context) {
  const texts: string[] = [];
  for await (const event of setupResult.provider.stream(context))
    if (event.type === 'text_delta') texts.push(event.text);
  return texts.join('');
}

describe('model input check', () => {
  it('refuses an image for a text-only model before sending anything', async () => {
    const stack = await setup('o3-mini');
    const error = await drain(stack, withImage('o3-mini')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('bad_request');
    expect((error as Error).message).toBe(
      'proxy (o3-mini): the model cannot read image/png attachments ("pixel.png"); it accepts text input',
    );
    expect(mock!.requests).toHaveLength(0);
  });

  it('sends the image to a model that reads images', async () => {
    const stack = await setup('gpt-4o-mini');
    expect(await drain(stack, withImage('gpt-4o-mini'))).toBe('A pixel.');
    const content = (mock!.requests[0]!.body!.messages as { content: unknown }[])[0]!.content;
    expect(JSON.stringify(content)).toContain(`data:image/png;base64,${PNG}`);
  });
});
