/**
 * The foreground hosts' log lines (`oxydra channels run`, `oxydra scheduler run`): what a line
 * carries from a platform, a sender or a model can neither drive the terminal nor start a line
 * of its own.
 */
import { hasTerminalControls, visibleLine } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { stampedLog } from '../src/run/stamped-log.js';

describe('stampedLog', () => {
  it('writes one stamped line with every control and line break written out', () => {
    const written: string[] = [];
    const say = stampedLog((text) => written.push(text));
    say('telegram: answering as Bot\x1b]52;c;cm0gLXJmIH4K\x07 \u202eexe.txt\r\n12:00:00 telegram: stopping');
    expect(written).toHaveLength(1);
    const line = written[0]!;
    expect(line).toMatch(/^\d\d:\d\d:\d\d telegram: answering as Bot/);
    expect(line.endsWith('\n')).toBe(true);
    expect(hasTerminalControls(line.slice(0, -1))).toBe(false);
    expect(line).toContain('Bot\\x1b]52;c;cm0gLXJmIH4K\\x07 \\u202eexe.txt\\r\\n12:00:00 telegram: stopping');
  });

  it('leaves ordinary text as it is', () => {
    expect(visibleLine('scheduler: 2 of 3 schedules active, "nightly report" next 02:00')).toBe(
      'scheduler: 2 of 3 schedules active, "nightly report" next 02:00',
    );
  });
});
