/**
 * The program declares only the command a command line names (main.ts), so each
 * group's entry must declare exactly the command it is keyed by: another name would make that
 * command unreachable on its own and show it only with `--help`.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_GROUPS, declarationsFor } from '../src/main.js';

const names = (program: Command) => program.commands.map((command) => command.name());

/** The order of `oxydra --help`. */
const ALL = [
  ...['config', 'trust', 'init', 'doctor', 'run', 'chat', 'demo'],
  ...['sessions', 'audit', 'budget', 'costs', 'undo', 'checkpoints', 'token', 'approvals', 'store'],
  ...['persona', 'plugins', 'mcp', 'schedule', 'scheduler', 'channels', 'skills', 'programs', 'memory'],
  ...['models', 'gateway', 'dashboard', 'completion', 'status', 'logs', 'service', 'tui', 'mock-llm'],
  ...['runner', 'guest', 'shell-daemon'],
];

describe('command declarations', () => {
  it('each declare exactly the top-level command it is keyed by', () => {
    for (const group of COMMAND_GROUPS) {
      for (const [name, declare] of Object.entries(group)) {
        const program = new Command('oxydra');
        declare(program);
        expect(names(program)).toEqual([name]);
      }
    }
  });

  it('declare only the named command, skipping the root’s flags', () => {
    expect(names(buildProgram(['--trust', 'run', '--json', 'hello']))).toEqual(['run']);
    expect(names(buildProgram(['store', 'status']))).toEqual(['store']);
    expect(names(buildProgram(['mock-llm', 'scenario.json']))).toEqual(['mock-llm']);
    expect(declarationsFor(['--version'])).toEqual([]);
  });

  it('declare every command, in help order, for help, completion, a mistyped command and none', () => {
    const argvs = [
      [],
      ['--help'],
      ['help', 'run'],
      ['completion', 'bash'],
      ['confg'],
      ['--version', '--help'],
    ];
    for (const argv of argvs) expect(names(buildProgram(argv))).toEqual(ALL);
  });
});

describe('removing commands', () => {
  it('each take rm, delete and remove: `schedule remove` was refused with "Did you mean resume?"', () => {
    const REMOVE = ['rm', 'delete', 'remove'];
    const found: string[] = [];
    const walk = (command: Command, path: string) => {
      for (const sub of command.commands) {
        const spellings = [sub.name(), ...sub.aliases()];
        if (spellings.some((word) => REMOVE.includes(word))) {
          found.push(`${path} ${sub.name()}`);
          expect([...spellings].sort(), `${path} ${sub.name()}`).toEqual([...REMOVE].sort());
        }
        walk(sub, `${path} ${sub.name()}`);
      }
    };
    walk(buildProgram(), 'oxydra');
    expect(found).toEqual(
      expect.arrayContaining(['oxydra sessions delete', 'oxydra schedule rm', 'oxydra skills remove']),
    );
  });
});
