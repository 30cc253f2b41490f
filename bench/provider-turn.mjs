// The streamed call the provider benchmarks time: a typical short turn (a sentence of text in
// word deltas, then a tool call) and the context that asks for it. One place, so
// provider-overhead.mjs and sdk-vs-fetch.mjs measure the same call.
export const TURN_SENTENCE =
  'I will read the configuration file first and then summarise what it sets for you.';
export const FILE_READ_CALL = { name: 'file_read', arguments: { path: 'config/settings.toml' } };
export const TYPICAL_REPLY = {
  text: TURN_SENTENCE,
  toolCalls: [FILE_READ_CALL],
  usage: { input: 420, output: 38 },
};
export const BENCH_CONTEXT = {
  model: 'bench-model',
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    { role: 'user', content: 'Read the settings and summarise them.' },
  ],
  tools: [
    {
      name: 'file_read',
      description: 'Read a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      safety: 'read_only',
    },
  ],
};

/** The floor: POSTs the adapter's exact request and reads the body without parsing it. */
export async function rawStream(url, request) {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.raw });
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}
