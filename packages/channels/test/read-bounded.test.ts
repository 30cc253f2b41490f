/** The adapters' bounded download (src/read-bounded.ts): a body over the limit is refused, by its length or as it is read. */
import { describe, expect, it } from 'vitest';
import { readBounded } from '../src/read-bounded.js';

/** A body in chunks, with no Content-Length; counts the chunks pulled. */
function streamed(chunks: number[]): { response: Response; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = chunks[pulled];
      pulled += 1;
      if (size === undefined) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(pulled));
    },
  });
  return { response: new Response(body), pulled: () => pulled };
}

const tooLarge = (declared?: number) =>
  new Error(declared !== undefined ? `declared ${declared}` : 'read too much');

describe('readBounded', () => {
  it('gives the whole body within the limit, as one array', async () => {
    const bytes = await readBounded(streamed([3, 2]).response, 5, tooLarge);
    expect([...bytes]).toEqual([1, 1, 1, 2, 2]);
  });

  it('refuses a declared length over the limit before reading', async () => {
    const response = new Response(new Uint8Array(10), { headers: { 'content-length': '10' } });
    await expect(readBounded(response, 9, tooLarge)).rejects.toThrow('declared 10');
  });

  it('stops reading once the bytes read pass the limit', async () => {
    const { response, pulled } = streamed([4, 4, 4, 4, 4]);
    await expect(readBounded(response, 6, tooLarge)).rejects.toThrow('read too much');
    expect(pulled()).toBeLessThan(5);
  });
});
