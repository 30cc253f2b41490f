import { createLlamaCppProvider } from './packages/provider/dist/adapters/llama-cpp/provider.js';

const p = createLlamaCppProvider({
  name: 'local',
  baseURL: '',
  local: { gpuLayers: 0, threads: 1, contextSize: 4096, toolChoice: process.argv[2] },
});
const sys = 'You are a helpful agent. '.repeat(60);
const tools = Array.from({ length: 12 }, (_, i) => ({
  name: `tool_${i}`,
  description: 'does a thing with files '.repeat(3),
  parameters: {
    type: 'object',
    properties: { path: { type: 'string' }, max: { type: 'integer' }, deep: { type: 'boolean' } },
  },
}));
const t0 = performance.now();
let n = 0;
for await (const e of p.stream({
  model: '/tmp/lm/tiny.gguf',
  messages: [
    { role: 'system', content: sys },
    { role: 'user', content: 'list the files' },
  ],
  tools,
  maxOutputTokens: Number(process.argv[3] ?? 16),
})) {
  n++;
  if (e.type !== 'text_delta')
    console.log(JSON.stringify(e).slice(0, 200), (performance.now() - t0).toFixed(0));
}
console.log('events', n, (performance.now() - t0).toFixed(0));
process.exit(0);
