/**
 * Files in chats (files.ts) on real files: names made safe, a declared type checked against the
 * bytes (file-type), the inbox written new and never through a link, an answer's workspace file
 * read by the file tools' rules, and `[[send_file: …]]` lines taken out of an answer.
 */
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerFiles, safeFileName } from '@oxydra/channels';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
// Internal helpers, tested where they are (not part of the package's exports).
import { checkedType, filePolicy, readWorkspaceFile, saveToInbox } from '../src/files.js';

let scratch: TempWorkspace | undefined;
afterEach(() => {
  scratch?.cleanup();
  scratch = undefined;
});
const workspace = () => {
  scratch = tempWorkspace({ prefix: 'oxydra-channel-files-' });
  return scratch.dir;
};

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');

describe('channel files', () => {
  it('makes names safe: the last part only, no leading dot, odd characters replaced', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('C:\\Users\\x\\.bashrc')).toBe('bashrc');
    expect(safeFileName('Q3 report (final).pdf')).toBe('Q3_report_final_.pdf');
    expect(safeFileName('$(rm -rf ~)\n')).toBe('rm_-rf_');
    expect(safeFileName('...')).toBe('file');
    expect(safeFileName(`${'a'.repeat(200)}.pdf`)).toHaveLength(80);
    // Cut to its last 80 characters, a long name must not start with a dot there either.
    expect(safeFileName(`${'x'.repeat(30)}.${'y'.repeat(79)}`)).toBe('y'.repeat(79));
  });

  it('checks the declared type against the bytes', async () => {
    expect(await checkedType(PDF, { id: '1', kind: 'document', mimeType: 'application/pdf' })).toEqual({
      mime: 'application/pdf',
      ext: 'pdf',
    });
    await expect(
      checkedType(PNG, { id: '1', kind: 'document', mimeType: 'application/pdf' }),
    ).rejects.toThrow('declared application/pdf, but its content is image/png');
    // A "picture" that is text, and a photo that is not an image, are refused.
    await expect(
      checkedType(Buffer.from('hello'), { id: '1', kind: 'document', mimeType: 'image/png' }),
    ).rejects.toThrow('does not start like one');
    await expect(checkedType(PDF, { id: '1', kind: 'photo' })).rejects.toThrow('declared image/jpeg');
    // Text declared as text, and anything declared as nothing in particular, pass with what is known.
    expect(
      await checkedType(Buffer.from('notes'), { id: '1', kind: 'document', mimeType: 'text/plain' }),
    ).toEqual({
      mime: 'text/plain',
    });
    expect(
      (await checkedType(PNG, { id: '1', kind: 'document', mimeType: 'application/octet-stream' })).mime,
    ).toBe('image/png');
  });

  it('saves into inbox/<channel>/ as a new owner-only file, never through a link', async () => {
    const root = workspace();
    const path = await saveToInbox(root, 'telegram', '1-a.pdf', PDF);
    expect(path).toBe('inbox/telegram/1-a.pdf');
    expect(readFileSync(join(root, path))).toEqual(PDF);
    expect(statSync(join(root, path)).mode & 0o777).toBe(0o600);
    await expect(saveToInbox(root, 'telegram', '1-a.pdf', PNG)).rejects.toThrow(/EEXIST/);
    // The agent made inbox/slack a link out of the workspace: nothing is written there.
    const outsideFolder = tempWorkspace({ prefix: 'oxydra-outside-' });
    const outside = outsideFolder.dir;
    try {
      symlinkSync(outside, join(root, 'inbox', 'slack'));
      await expect(saveToInbox(root, 'slack', '2-b.pdf', PDF)).rejects.toThrow();
      expect(() => statSync(join(outside, '2-b.pdf'))).toThrow();
    } finally {
      outsideFolder.cleanup();
    }
  });

  it("reads an answer's file by the workspace rules, bounded", async () => {
    const root = workspace();
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out', 'r.txt'), 'report');
    expect(await readWorkspaceFile(root, 'out/r.txt', 100)).toEqual({
      name: 'r.txt',
      bytes: Buffer.from('report'),
    });
    await expect(readWorkspaceFile(root, 'out/r.txt', 3)).rejects.toThrow('larger than 3 bytes');
    await expect(readWorkspaceFile(root, '../etc/passwd', 100)).rejects.toThrow(/escapes the workspace/);
    mkdirSync(join(root, '.oxydra'));
    writeFileSync(join(root, '.oxydra', 'agent.toml'), 'secret');
    await expect(readWorkspaceFile(root, '.oxydra/agent.toml', 100)).rejects.toThrow();
    symlinkSync('/etc/hostname', join(root, 'out', 'link'));
    await expect(readWorkspaceFile(root, 'out/link', 100)).rejects.toThrow();
    // The vault is out of reach here as it is for the file tools.
    mkdirSync(join(root, 'vault'));
    writeFileSync(join(root, 'vault', 'key.txt'), 'secret');
    await expect(readWorkspaceFile(root, 'vault/key.txt', 100, filePolicy(root, 'vault'))).rejects.toThrow(
      'vault_copyto',
    );
  });

  it('refuses a file whose content looks like a credential, or one in a folder of keys; sends the rest', async () => {
    const root = workspace();
    const files: Record<string, string> = {
      '.env': 'DATABASE_URL=postgres://u:pw@h/db\n',
      id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg\n-----END OPENSSH PRIVATE KEY-----\n',
      '.npmrc': '//registry.npmjs.org/:_authToken=npm_Zq1vT8fK2mW9\n',
      'kube.yaml': 'users:\n- name: ci\n  user:\n    token: eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
    await expect(readWorkspaceFile(root, '.env', 1000)).rejects.toThrow(
      '.env looks like it holds a credential (a password in a URL, line 1), so it is not sent',
    );
    await expect(readWorkspaceFile(root, 'id_rsa', 1000)).rejects.toThrow('(a private key (PEM block))');
    await expect(readWorkspaceFile(root, '.npmrc', 1000)).rejects.toThrow(
      '(a value for //registry.npmjs.org/:_authToken, line 1)',
    );
    await expect(readWorkspaceFile(root, 'kube.yaml', 1000)).rejects.toThrow('(a value for token, line 4)');
    for (const name of Object.keys(files)) {
      await expect(readWorkspaceFile(root, name, 1000)).rejects.not.toThrow(/pw@|b3Blbg|npm_Zq|eyJ/);
    }
    // A home folder inside the workspace: its .aws is refused whatever the file holds.
    mkdirSync(join(root, 'home', '.aws'), { recursive: true });
    writeFileSync(join(root, 'home', '.aws', 'config'), '[default]\nregion = eu-west-1\n');
    await expect(readWorkspaceFile(root, 'home/.aws/config', 1000)).rejects.toThrow(
      'home/.aws/config is in .aws, a folder that holds keys, so it is not sent',
    );
    // An ordinary file that names a token, a key and a password is sent.
    const readme =
      '# Setup\n\nThe token: ask the owner.\nSet `TOKEN=` in `.env`, then `max_tokens = 4096`.\n';
    writeFileSync(join(root, 'README.md'), readme);
    expect(await readWorkspaceFile(root, 'README.md', 1000)).toEqual({
      name: 'README.md',
      bytes: Buffer.from(readme),
    });
  });

  it('takes [[send_file: …]] lines out of an answer', () => {
    expect(answerFiles('Here it is.\n[[send_file: out/a.pdf]]\n\n[[send_file:b.txt]]\nBye.')).toEqual({
      text: 'Here it is.\n\nBye.',
      files: ['out/a.pdf', 'b.txt'],
    });
    // Only a line of its own counts; text quoting one inline stays text.
    expect(answerFiles('use [[send_file: x]] to send').files).toEqual([]);
  });
  it("reads an answer's long lines in one pass (a model's answer is hostile too)", () => {
    // A prompt-injected answer: the send_file pattern used to backtrack over a run of blanks with
    // the square of its length (4 s at 40,000 characters, the event loop held meanwhile).
    const blanks = ' \t'.repeat(100_000);
    expect(answerFiles(`[[send_file: x${blanks}`).files).toEqual([]);
    expect(answerFiles(`[[send_file: x${blanks}y]]`).files).toEqual([`x${blanks}y`]);
    expect(answerFiles(`[[send_file:${blanks}a.txt${blanks}]]${blanks}`).files).toEqual(['a.txt']);
  });
});
