import type { ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { defaultSystemPrompt } from '../src/index.js';

const spec = (name: string): ToolSpec => ({ name, description: name, parameters: {}, safety: 'read_only' });

describe('defaultSystemPrompt', () => {
  const tools = ['file_read', 'file_list', 'file_edit', 'shell_exec'].map(spec);

  it('names the workspace, the tools, the rules and the date', () => {
    const prompt = defaultSystemPrompt({ workspace: '/home/me/project', tools, date: '2025-06-01' });
    expect(prompt).toContain(
      "autonomous AI agent working on the user's files in the workspace at /home/me/project",
    );
    expect(prompt).toContain('Tools available: file_read, file_list, file_edit, shell_exec.');
    expect(prompt).toContain('check facts before you state them');
    expect(prompt).toContain(
      'Read a file before you edit it, and prefer small, targeted edits with file_edit',
    );
    expect(prompt).toContain('run commands (tests, builds, linters) to verify');
    expect(prompt).toContain('Paths are relative to the workspace root.');
    expect(prompt).toContain('stop calling tools and give your answer');
    expect(prompt).toContain('Be concise');
    expect(prompt).toContain("Today's date: 2025-06-01.");
    expect(prompt.split(/\s+/).length).toBeLessThan(200);
  });

  it("appends the agent's own prompt last", () => {
    const prompt = defaultSystemPrompt({
      workspace: '/w',
      tools,
      agentPrompt: 'You review Rust code.\n',
      date: 'd',
    });
    expect(prompt.endsWith('\n\nYou review Rust code.')).toBe(true);
  });

  it('leaves out advice about tools the agent does not have', () => {
    const prompt = defaultSystemPrompt({ workspace: '/w', tools: [spec('file_read')], date: 'd' });
    expect(prompt).not.toContain('file_edit');
    expect(prompt).not.toContain('run commands');
    const none = defaultSystemPrompt({ workspace: '/w', tools: [], date: 'd' });
    expect(none).not.toContain('Tools available');
    expect(none).toContain('You have no tools in this run');
  });

  it("uses today's date by default", () => {
    expect(defaultSystemPrompt({ workspace: '/w', tools: [] })).toContain(
      new Date().toISOString().slice(0, 10),
    );
  });
});
