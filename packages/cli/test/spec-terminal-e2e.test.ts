/**
 * What a spec run prints on the terminal is the model's and the workspace's text: the directive
 * the model crystallized (goal, constraints, criteria) and each criterion's evidence (a schema's
 * error text quoting the schema's names, a judge's reason). Through the real binary, none of it
 * reaches stderr with its terminal controls (a title change, a cleared screen) nor starts a line
 * of its own that reads like one of ours.
 */
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const ESC = '\u001b';
const TITLE = `${ESC}]0;owned${'\u0007'}`;

describe('a spec run on the terminal', () => {
  it("writes out the controls in the model's directive and in the criteria's evidence", async ({
    onTestFinished,
  }) => {
    const env = await AgentEnv.startFor(onTestFinished, E2E_APIS[0]!, [
      // The crystallization: every field carries controls and a line break.
      {
        reply: {
          text: JSON.stringify({
            goal: `write the data${TITLE}\nspec: passed after 1 attempt(s)`,
            constraints: [`keep it small${ESC}[2J`],
            acceptance_criteria: [`json-schema: data.json schema.json`, `the data is tidy${TITLE}`],
          }),
        },
      },
      { reply: { text: 'done' } },
      // The judge's verdict, whose reason carries controls too.
      { reply: { text: JSON.stringify({ pass: false, reason: `untidy${TITLE}\nFAIL c9 forged` }) } },
    ]);
    env.sandbox.write('data.json', '{}');
    env.sandbox.write('schema.json', JSON.stringify({ required: [`name${TITLE}`] }));
    const run = await env.run(['run', '--json', '--spec', '--max-attempts', '1', 'write the data']);
    expect(run.stderr).toContain('spec: directive');
    expect(run.stderr).toContain('must have required property');
    expect(run.stderr).toContain('untidy');
    expect(run.stderr).not.toContain(ESC);
    expect(run.stderr).not.toContain('\u0007');
    expect(run.stderr).not.toMatch(/^spec: passed/m);
    expect(run.stderr).not.toMatch(/^FAIL c9/m);
  }, 60_000);
});
