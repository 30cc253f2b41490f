/**
 * The program builds only the group of the command a command line names (program/groups.ts), so
 * each group's list of top-level commands must be what the group really declares: a command
 * missing from its list would be unreachable on its own and would only work with `--help`.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main.js';
import { COMMAND_GROUPS, groupsFor } from '../src/program/groups.js';

const names = (program: Command) => program.commands.map((command) => command.name());

describe('command groups', () => {
  it('list exactly the top-level commands each group declares', () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command('oxydra');
      group.declare(program);
      expect(names(program)).toEqual(group.commands);
    }
  });

  it('build only the named command’s group, skipping the root’s flags', () => {
    const run = buildProgram(['--trust', 'run', '--json', 'hello']);
    expect(names(run)).toEqual(['config', 'trust', 'init', 'doctor', 'run', 'chat', 'demo']);
    expect(names(buildProgram(['store', 'status']))).toEqual(['store']);
    expect(groupsFor(['--version'])).toEqual([]);
    expect(groupsFor(['--version', '--help'])).toBe(COMMAND_GROUPS);
  });

  it('build every group for help, completion, a mistyped command and no command', () => {
    const all = COMMAND_GROUPS.flatMap((group) => group.commands);
    for (const argv of [[], ['--help'], ['help', 'run'], ['completion', 'bash'], ['confg']]) {
      expect(groupsFor(argv)).toBe(COMMAND_GROUPS);
      expect(names(buildProgram(argv))).toEqual(all);
    }
  });
});
