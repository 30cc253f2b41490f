/**
 * An A2A task that carries a spec: `metadata.spec` of the message (or of the request), or a data
 * part `{"spec": {...}}`, in the HTTP API's form (`true`, or goal, constraints,
 * acceptance_criteria, max_attempts). The task then runs through the kernel's spec runner
 * (runSpecRequest, as the API's runs and scheduled runs do) and its final status carries the
 * per-criterion results in `metadata.oxydra.spec`. The spec's data part is not part of the prompt.
 */
import type { Part } from '@a2a-js/sdk';
import type { RequestContext } from '@a2a-js/sdk/server';
import { type SpecRequest, specFields } from '@oxydra/kernel/spec';
import { isOxydraError } from '@oxydra/types';

function isSpecPart(part: Part): boolean {
  const content = part.content;
  return (
    content?.$case === 'data' &&
    typeof content.value === 'object' &&
    content.value !== null &&
    Object.hasOwn(content.value, 'spec')
  );
}

/** The message's parts that make the prompt: all but a spec's data part. */
export function promptParts(parts: readonly Part[]): Part[] {
  return parts.filter((part) => !isSpecPart(part));
}

/** The task's spec, if it has one; a malformed one is a refusal (said to the client), never ignored. */
export function taskSpec(request: RequestContext): { spec?: SpecRequest; refusal?: string } {
  const part = request.userMessage.parts.find(isSpecPart);
  const raw =
    part?.content?.$case === 'data'
      ? (part.content.value as Record<string, unknown>).spec
      : (request.userMessage.metadata?.spec ?? request.request.metadata?.spec);
  if (raw === undefined) return {};
  try {
    return { spec: specFields(raw as SpecRequest) };
  } catch (error) {
    const hint = isOxydraError(error) && error.hint ? ` (${error.hint})` : '';
    return { refusal: `${(error as Error).message}${hint}` };
  }
}
