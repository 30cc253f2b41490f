import { UsageError } from '@oxydra/types';

/** The prompt from the command line, or from stdin when it is "-" (e.g. `cat task.md | oxydra run -`). */
export async function readPrompt(words: readonly string[]): Promise<string> {
  const joined = words.join(' ').trim();
  if (joined === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (text === '') throw new UsageError('the prompt read from stdin is empty');
    return text;
  }
  if (joined === '') {
    throw new UsageError('missing prompt: oxydra run "what to do"', {
      hint: 'pass the task as arguments, or "-" to read it from stdin; try `oxydra demo` to see a run with no API key',
    });
  }
  return joined;
}
