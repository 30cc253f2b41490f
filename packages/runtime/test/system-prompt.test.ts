import type { ToolSpec } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { defaultSystemPrompt } from '../src/index.js';

const spec = (name: string): ToolSpec => ({ name, description: name, parameters: {}, safety: 'read_only' });

describe('defaultSystemPrompt', () => {
  const tools = ['file_read', 'file_list', 'file_edit', 'shell_exec'].map(spec);

  it('names the workspace, the rules and the date, not the tools (their definitions do)', () => {
    const prompt = defaultSystemPrompt({ workspace: '/home/me/project', tools, date: '2025-06-01' });
    expect(prompt).toContain("autonomous AI agent working in the user's workspace at /home/me/project");
    expect(prompt).not.toContain('shell_exec');
    expect(prompt).toContain('Check facts with your tools');
    expect(prompt).toContain('never claim what a file says or a command printed without having seen it');
    expect(prompt).toContain('Read a file before editing it; prefer small edits with file_edit');
    expect(prompt).toContain('After changing code, verify it: run its tests, build or linters.');
    expect(prompt).toContain('Paths are relative to the workspace root.');
    expect(prompt).toContain('When the task is done, stop calling tools and answer.');
    expect(prompt).toContain('Be concise');
    expect(prompt).toContain("Today's date: 2025-06-01.");
    // Paid on every model call: it stays short.
    expect(Buffer.byteLength(prompt)).toBeLessThan(600);
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
    expect(prompt).not.toContain('After changing code');
    const none = defaultSystemPrompt({ workspace: '/w', tools: [], date: 'd' });
    expect(none).not.toContain('Check facts with your tools');
    expect(none).not.toContain('Paths are relative');
    expect(none).toContain('You have no tools in this run');
  });

  it("uses today's date by default", () => {
    expect(defaultSystemPrompt({ workspace: '/w', tools: [] })).toContain(
      new Date().toISOString().slice(0, 10),
    );
  });
});
