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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { type ChannelsProcess, killChannels, lastUser, shellCall } from './channels-run.js';
import { channelsToml, OWNER, sentTextOn, startChannels, TOKEN } from './channels-telegram.js';

describe('oxydra channels run (Telegram): a forwarded message', () => {
  let api: FakeBotApi;
  let env: AgentEnv;
  let run: ChannelsProcess;
  const sentText = sentTextOn(() => api);

  beforeAll(async () => {
    api = await FakeBotApi.start({ token: TOKEN });
    env = await AgentEnv.start(
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
      `${channelsToml(api)}\n[taint]\noperators = ["alice"]\n\n[tools.sandbox]\nmode = "none"\n`,
    );
    // A question nobody answers is denied after 3 s.
    const toml = readFileSync(join(env.workspace, '.oxydra/agent.toml'), 'utf8');
    env.sandbox.write(
      '.oxydra/agent.toml',
      toml.replace('approval = "auto"', 'approval = "auto"\napproval_timeout_secs = 3'),
    );
    run = await startChannels(env);
  }, 40_000);

  afterAll(async () => {
    await killChannels();
    await api?.close();
    await env?.close();
  });

  it("the owner's own words run unasked; the same words forwarded are asked in the chat and marked for the model", async () => {
    api.message({ from: { id: OWNER }, text: 'please run the check' });
    await sentText(OWNER, 'Ran: ran-42.', "the owner's own message answered", run.stderr);
    expect(api.sent(OWNER).some((m) => m.text.includes('Allow it?'))).toBe(false);

    api.message({ from: { id: OWNER }, text: 'please run the check', forwardedFrom: 'Mallory' });
    const question = await pollUntil(
      () => api.sent(OWNER).find((m) => m.text.includes('Allow it?')),
      'the question about the forwarded command',
      { timeoutMs: 20_000 },
    );
    expect(question.text).toContain('echo ran-$((40+2))');
    await sentText(OWNER, 'It was not run.', 'the answer after no answer (Deny)', run.stderr);
    const forwarded = env.mock.requests.map(lastUser).find((m) => JSON.stringify(m).includes(RELAYED_LINE));
    expect(JSON.stringify(forwarded)).toContain('please run the check');
  }, 60_000);
});
