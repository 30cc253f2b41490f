/**
 * `oxydra channels run` with the real binary, the fake Telegram Bot API and the mock model: a
 * message the owner forwards is someone else's words. The owner is one of [taint] operators, so
 * their own message runs a networked command under `approval = "auto"` without a question; the
 * same words forwarded (Telegram's forward_origin) reach the model below Oxydra's "Forwarded
 * message" line and the run is tainted, so the command is asked in the chat (docs/security.md).
 * Before, a forward from an operator counted as the operator's own: it ran unasked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELAYED_LINE } from '@oxydra/channels';
import { pollUntil } from '@oxydra/testkit/helpers';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { killChannels, lastUser, shellCall } from './channels-run.js';
import { channelsToml, OWNER, sentTextOn, startChannels, TOKEN } from './channels-telegram.js';

describe('oxydra channels run (Telegram): a forwarded message', () => {
  let api: FakeBotApi | undefined;
  let env: AgentEnv | undefined;
  afterAll(async () => {
    await killChannels();
    await Promise.all([api?.close(), env?.close()]);
  });

  it("the owner's own words run unasked; the same words forwarded are asked in the chat and marked for the model", async () => {
    const fake = await FakeBotApi.start({ token: TOKEN });
    api = fake;
    const agent = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        {
          match: { lastMessageContains: 'run the check' },
          reply: shellCall('echo ran-$((40+2))'),
          times: 'always',
        },
        { match: { lastToolResultContains: 'ran-42' }, reply: { text: 'Ran: ran-42.' }, times: 'always' },
        { reply: { text: 'It was not run.' }, times: 'always' },
      ],
      `${channelsToml(fake)}\n[taint]\noperators = ["alice"]\n\n[tools.sandbox]\nmode = "none"\n`,
    );
    env = agent;
    // `approval = "auto"` stays; a question the taint policy asks and nobody answers is denied after 3 s.
    const toml = readFileSync(join(agent.workspace, '.oxydra/agent.toml'), 'utf8');
    agent.sandbox.write(
      '.oxydra/agent.toml',
      toml.replace('approval = "auto"', 'approval = "auto"\napproval_timeout_secs = 3'),
    );
    const run = await startChannels(agent);
    const sentText = sentTextOn(() => fake);

    fake.message({ from: { id: OWNER }, text: 'please run the check' });
    await sentText(OWNER, 'Ran: ran-42.', "the owner's own message answered", run.stderr);
    expect(fake.sent(OWNER).some((m) => m.text.includes('Allow it?'))).toBe(false);

    fake.message({ from: { id: OWNER }, text: 'please run the check', forwardedFrom: 'Mallory' });
    const question = await pollUntil(
      () => fake.sent(OWNER).find((m) => m.text.includes('Allow it?')),
      'the question about the forwarded command',
      { timeoutMs: 20_000 },
    );
    expect(question.text).toContain('echo ran-$((40+2))');
    await sentText(OWNER, 'It was not run.', 'the answer after no answer (Deny)', run.stderr);
    const forwarded = agent.mock.requests.map(lastUser).find((m) => JSON.stringify(m).includes(RELAYED_LINE));
    expect(JSON.stringify(forwarded)).toContain('please run the check');
  }, 90_000);
});
