/**
 * A scripted model for spec runs through the gateway's hosts: the first attempt claims success
 * without writing anything; an attempt told what failed writes report.md; a crystallization call
 * answers a directive; a judge passes its criterion only when the evidence shows the file check
 * passed. Each judge call answers by its own criterion, so parallel judges get their own verdicts.
 */
import type { ModelEvent } from '@oxydra/types';
import { ScriptedModel, toolCallReply } from './helpers.js';

export async function* answer(text: string): AsyncGenerator<ModelEvent> {
  yield { type: 'text_delta', text };
  yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } };
  yield { type: 'finish', reason: 'stop' };
}

export const REPORT_CRITERION = 'file: report.md exists';
export const JUDGED_CRITERION = 'The report is finished';

/** The system prompt of a call (a spec run's own calls say what they are there). */
export const systemOf = (call: { messages: { role: string; content: unknown }[] }) =>
  JSON.stringify(call.messages[0]?.role === 'system' ? call.messages[0].content : '');

export function specModel(): ScriptedModel {
  return new ScriptedModel(async function* (call) {
    const system = systemOf(call);
    if (system.includes('strict reviewer')) {
      const criterion = /^Criterion: (.*)$/m.exec(call.prompt)?.[1] ?? '';
      const shown = call.prompt.includes(`${REPORT_CRITERION}: PASSED`);
      yield* answer(
        JSON.stringify({ pass: shown, reason: `${criterion}: ${shown ? 'shown' : 'not shown'}` }),
      );
      return;
    }
    if (system.includes('turn a request into a directive')) {
      yield* answer(
        JSON.stringify({
          goal: 'Write the report',
          constraints: [],
          acceptance_criteria: [REPORT_CRITERION],
        }),
      );
      return;
    }
    const told = call.messages.some(
      (m) => m.role === 'user' && JSON.stringify(m.content).includes('did not meet'),
    );
    const wrote = call.messages.some((m) => m.role === 'tool');
    if (told && !wrote) {
      // Priced like every call (a scheduled run's dollar limit needs every call's cost).
      yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } };
      yield* toolCallReply('w1', 'file_write', { path: 'report.md', content: 'finished\n' });
      return;
    }
    yield* answer(told ? 'Wrote report.md.' : 'All done.');
  });
}
