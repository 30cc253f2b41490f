import { runMockLlmCli } from '@oxydra/testkit';

/** `oxydra mock-llm ...`: the testkit's mock LLM server, arguments passed through untouched. */
export async function runMockLlm(args: string[]): Promise<number> {
  return runMockLlmCli(args);
}
