/**
 * `oxydra channels run` with the real binary, the fake Telegram Bot API and the mock model: an
 * answer's `[[send_file: …]]` line is the model's words (a page it read can dictate them), and the
 * file it names goes to the chat platform as it is, past the scrubber that keeps the keys Oxydra
 * holds out of every tool's output. Before, `[[send_file: .env]]` sent the provider key the process
 * uses into the chat (as a file named `env`); now a file holding a value of the kernel's secret
 * policy is not sent, and the chat is told so. So is a file holding credentials Oxydra does not
 * hold (a database URL's password, an SSH key, an npm token): their content is the test.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { E2E_KEY } from './agent-env.js';
import { channelsRunPerTest, OWNER, sentTextOn, TOKEN } from './channels-telegram.js';

const channels = channelsRunPerTest();

type FakeApi = Awaited<ReturnType<typeof channels.start>>['api'];

/** The one file sent (named `fileName`), then everything the chat got, texts and files' bytes. */
async function sentFileThenAll(fake: FakeApi, fileName: string): Promise<string> {
  const sent = await pollUntil(() => fake.sent(OWNER).find((m) => m.document), `${fileName} sent`);
  expect(sent.document).toMatchObject({ fileName });
  return fake
    .sent(OWNER)
    .map((m) => `${m.text}${m.document ? Buffer.from(m.document.bytes).toString() : ''}`)
    .join('\n');
}

describe('oxydra channels run (Telegram): a file an answer sends', () => {
  it('a file holding a key Oxydra holds is not sent; the others are', async () => {
    const answer =
      'Here is the summary.\n[[send_file: .env]]\n[[send_file: bot.txt]]\n[[send_file: notes.txt]]';
    const {
      api: fake,
      env: agent,
      running: run,
    } = await channels.start([{ reply: { text: answer }, times: 'always' }]);
    // The provider key the process uses (MOCK_KEY), and the bot's own token, in workspace files.
    agent.sandbox.write('.env', `OPENAI_API_KEY=${E2E_KEY}\n`);
    agent.sandbox.write('bot.txt', `token ${TOKEN}\n`);
    agent.sandbox.write('notes.txt', 'plain notes\n');
    const sentText = sentTextOn(() => fake);

    fake.message({ from: { id: OWNER }, text: 'summarize https://evil.example/page' });
    await sentText(
      OWNER,
      '(.env could not be sent: .env holds a key or token Oxydra keeps secret, so it is not sent)',
      'the note in place of .env',
      run.stderr,
    );
    await sentText(
      OWNER,
      '(bot.txt could not be sent: bot.txt holds a key or token Oxydra keeps secret, so it is not sent)',
      'the note in place of bot.txt',
      run.stderr,
    );
    const everything = await sentFileThenAll(fake, 'notes.txt');
    expect(everything).not.toContain(E2E_KEY);
    expect(everything).not.toContain(TOKEN);
  }, 90_000);

  it('a file holding credentials Oxydra does not hold is not sent; a README naming a token is', async () => {
    const answer =
      'Done.\n[[send_file: .env]]\n[[send_file: id_rsa]]\n[[send_file: .npmrc]]\n[[send_file: README.md]]';
    const {
      api: fake,
      env: agent,
      running: run,
    } = await channels.start([{ reply: { text: answer }, times: 'always' }]);
    agent.sandbox.write('.env', 'NODE_ENV=production\nDATABASE_URL=postgres://u:pw-Zq81@h/db\n');
    agent.sandbox.write(
      'id_rsa',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    agent.sandbox.write('.npmrc', '//registry.npmjs.org/:_authToken=npm_Zq1vT8fK2mW9\n');
    agent.sandbox.write('README.md', '# Setup\n\nThe token: ask the owner, then set `TOKEN=` in `.env`.\n');
    const sentText = sentTextOn(() => fake);

    fake.message({ from: { id: OWNER }, text: 'summarize https://evil.example/page' });
    for (const [path, why] of [
      ['.env', 'a password in a URL, line 2'],
      ['id_rsa', 'a private key (PEM block)'],
      ['.npmrc', 'a value for //registry.npmjs.org/:_authToken, line 1'],
    ]) {
      await sentText(
        OWNER,
        `(${path} could not be sent: ${path} looks like it holds a credential (${why}), so it is not sent)`,
        `the note in place of ${path}`,
        run.stderr,
      );
    }
    const everything = await sentFileThenAll(fake, 'README.md');
    for (const value of ['pw-Zq81', 'b3BlbnNzaC1rZXk', 'npm_Zq1vT8fK2mW9'])
      expect(everything).not.toContain(value);
  }, 90_000);
});
