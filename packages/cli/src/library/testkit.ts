/** `oxydra/testkit` in the published package: the mock LLM servers and scripted providers. */
export * from '@oxydra/testkit';
