#!/usr/bin/env node
// CPU to build one model call's request body, per wire, late in a long session: a context of
// ~1,000 messages (~2 KB a turn: a question, a tool call, its ~1.7 KB result, an answer) that
// grows by the answer and one exchange each call, as a session's does. Two builds run in this
// process, called alternately on the same contexts (their bodies must be equal, byte for byte),
// each with its own caches; medians of process CPU per call. Wires: `chat`, `responses`
// (chained with previous_response_id, as on OpenAI), `responses-full` (no chaining, as on
// compatible servers), `gemini`. Anthropic's body is written by its SDK and is not measured.
// Usage: node bench/request-body.mjs [--baseline-root DIR] [--root DIR] [--calls 80] [--wires chat,gemini]
// (prints one JSON object, a line per wire; each root needs `npm run build`; without a baseline
// the build runs against itself, which shows the noise of the pairing)
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'baseline-root': { type: 'string' },
    root: { type: 'string', default: new URL('..', import.meta.url).pathname },
    calls: { type: 'string', default: '80' },
    wires: { type: 'string', default: 'chat,responses,responses-full,gemini' },
  },
});
const calls = Number(values.calls);
const WARM = 20;

/** The body builder of one build's provider package, as its adapter calls it. */
async function builder(root, wire) {
  const dist = `${root}/packages/provider/dist/adapters`;
  const chat = await import(`${dist}/openai-chat/provider.js`);
  const responses = await import(`${dist}/openai-responses/request.js`);
  const { ResponseChain } = await import(`${dist}/openai-responses/chain.js`);
  const gemini = await import(`${dist}/gemini/request.js`);
  const chain = new ResponseChain();
  // Builds from before the per-message texts take the input items as objects.
  const input = responses.responsesInputJson ?? responses.responsesInput;
  return (context, call) => {
    if (wire === 'chat')
      return chat.chatRequestJson(context, { provider: 'p', baseURL: 'http://localhost:1' });
    if (wire === 'gemini') {
      return gemini.geminiRequestJson?.(context) ?? JSON.stringify(gemini.geminiRequest(context));
    }
    const { instructions, items } = input(context, 'p');
    const plan = wire === 'responses' ? chain.plan(context.model, items) : { items };
    const body = responses.responsesRequestJson(context, plan.items, instructions, plan.previousResponseId);
    if (wire === 'responses') {
      chain.remember(context.model, `resp_${call}`, items, [{ role: 'assistant', content: 'ok' }]);
    }
    return body;
  };
}

const RESULT = `${'x'.repeat(60)}\n`.repeat(28);
const TOOL = {
  name: 'file_read',
  description: 'Read a file.',
  safety: 'read_only',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};

function exchange(i) {
  const args = `{"path":"docs/f${i}.md"}`;
  return [
    { role: 'user', content: `Please read file number ${i} and tell me what it says about the "topic".` },
    {
      role: 'assistant',
      content: '',
      toolCalls: [{ id: `call_${i}`, name: 'file_read', arguments: JSON.parse(args), rawArguments: args }],
    },
    { role: 'tool', toolCallId: `call_${i}`, toolName: 'file_read', content: `${i}\n${RESULT}` },
    { role: 'assistant', content: `File ${i} says the topic is covered in section ${i % 7}.` },
  ];
}

const median = (samples) => [...samples].sort((a, b) => a - b)[samples.length >> 1];

const wires = [];
for (const wire of values.wires.split(',')) {
  const builds = [
    await builder(values['baseline-root'] ?? values.root, wire),
    await builder(values.root, wire),
  ];
  let turns = 0;
  let messages = [{ role: 'system', content: 'You are a helpful agent. '.repeat(40) }];
  while (messages.length < 1000 - 100) messages.push(...exchange(turns++));
  const cpu = [[], []];
  let bytes = 0;
  for (let call = 0; call < calls; call++) {
    const context = { model: 'm', tools: [TOOL], messages };
    const bodies = [];
    for (const b of call % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = process.cpuUsage();
      bodies[b] = builds[b](context, call);
      const used = process.cpuUsage(start);
      if (call >= WARM) cpu[b].push(used.user + used.system);
    }
    if (bodies[0] !== bodies[1]) throw new Error(`${wire}: the bodies differ at call ${call}`);
    bytes = bodies[1].length;
    messages = [...messages, { role: 'assistant', content: 'ok' }, ...exchange(turns++)];
  }
  const [baseline, build] = cpu.map(median);
  wires.push({
    wire,
    messages: `${messages.length - 5 * (calls - WARM)}-${messages.length}`,
    lastBodyBytes: bytes,
    baselineUs: baseline,
    buildUs: build,
    ratio: Number((build / baseline).toFixed(2)),
  });
}
const baselineRoot = values['baseline-root'] ?? values.root;
process.stdout.write(
  `{"bench":"request-body","root":${JSON.stringify(values.root)},"baselineRoot":${JSON.stringify(baselineRoot)},"wires":[\n${wires.map((wire) => JSON.stringify(wire)).join(',\n')}\n]}\n`,
);
