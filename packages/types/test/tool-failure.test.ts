import { describe, expect, it } from 'vitest';
import { toolFailureLine } from '../src/index.js';

describe('the one line saying why a tool failed', () => {
  it('is the first non-empty line, trimmed', () => {
    expect(toolFailureLine('\n  path ../x is outside the workspace  \nuse a path inside it')).toBe(
      'path ../x is outside the workspace',
    );
  });

  it('is shortened past 160 characters, and says "failed" when there is no text', () => {
    const line = toolFailureLine('x'.repeat(300));
    expect(line).toHaveLength(160);
    expect(line.endsWith('...')).toBe(true);
    expect(toolFailureLine(' \n ')).toBe('failed');
  });
});
