// The floor both process benches compare against (bench/agent-loop.mjs, bench/library.mjs): a
// program that sends the same recorded streamed requests to the same mock by hand, with fetch
// and a minimal SSE split, and reads the same file. One source, so both floors stay the same.

/**
 * The shared head of a raw-fetch program: `readFile`, `requests` (as recorded from a real run)
 * and `call(request)`, which streams one request and returns the text it carried.
 */
export function rawFetchHead(mockOrigin, recorded) {
  return `import { readFile } from 'node:fs/promises';
const requests = ${JSON.stringify(recorded)};
async function call(request) {
  const response = await fetch(${JSON.stringify(mockOrigin)} + request.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: request.raw,
  });
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\\n\\n')) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      text += JSON.parse(event.slice(6)).choices?.[0]?.delta?.content ?? '';
    }
  }
  return text;
}
`;
}
