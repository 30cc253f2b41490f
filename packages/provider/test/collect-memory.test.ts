/**
 * A streamed answer is stored flat: assembled from 100 text deltas by `+=`, it would otherwise
 * stay a V8 rope of one object per delta (~5.4 KB instead of ~0.9 KB), multiplied by every
 * message a session keeps in memory and every exited agent's answer. CI runs it on Node 20, 22
 * and 24 (scripts/ci-runtimes-tests.sh): on 22 and 24 the flattening read was optimised away.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ResponseAssembler } from '../src/shared/stream.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function answer(n: number): string {
  const assembler = new ResponseAssembler();
  for (let i = 0; i < 100; i++) assembler.add({ type: 'text_delta', text: `w${n}-${i} ` });
  assembler.add({ type: 'finish', reason: 'stop', rawReason: 'stop' });
  return assembler.response().message.content as string;
}

describe('the assembled answer', () => {
  it('keeps its text as one flat string, not one object per delta', () => {
    const kept: string[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < 2000; n++) kept.push(answer(n));
    gc();
    const perAnswer = (process.memoryUsage().heapUsed - before) / kept.length;
    expect(kept[1999]).toBe(Array.from({ length: 100 }, (_, i) => `w1999-${i} `).join(''));
    // Flat: ~1 KB of text plus its object; a rope of 100 pieces is over 5 KB.
    expect(perAnswer).toBeLessThan(2500);
  });
});
