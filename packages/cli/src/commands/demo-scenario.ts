/**
 * The script the demo's mock model plays: five replies that create, edit, check (with a shell
 * command) and read back a file. Kept in code so it ships inside the bundled binary.
 */
import type { Scenario } from '@oxydra/testkit';

export const DEMO_SCENARIO: Scenario = {
  steps: [
    {
      match: {
        callIndex: 0,
      },
      reply: {
        text: "I'll start by creating the TODO list.",
        toolCalls: [
          {
            name: 'file_write',
            arguments: {
              path: 'notes/todo.md',
              content: '# TODO\n\n- [ ] write the report\n- [ ] review the budget\n- [ ] send the summary\n',
            },
          },
        ],
        argumentChunks: 6,
        usage: {
          input: 1180,
          output: 64,
        },
      },
    },
    {
      match: {
        callIndex: 1,
      },
      reply: {
        text: "Now I'll mark the first item as done.",
        toolCalls: [
          {
            name: 'file_edit',
            arguments: {
              path: 'notes/todo.md',
              old_text: '- [ ] write the report',
              new_text: '- [x] write the report',
            },
          },
        ],
        usage: {
          input: 1290,
          output: 52,
        },
      },
    },
    {
      match: {
        callIndex: 2,
      },
      reply: {
        text: 'Let me count the open items with a command.',
        toolCalls: [
          {
            name: 'shell_exec',
            arguments: {
              command: "grep -c -- '- \\[ \\]' notes/todo.md",
            },
          },
        ],
        usage: {
          input: 1360,
          output: 41,
        },
      },
    },
    {
      match: {
        callIndex: 3,
      },
      reply: {
        text: 'And read everything back to check.',
        toolCalls: [
          {
            name: 'file_read',
            arguments: {
              path: 'notes/todo.md',
            },
          },
          {
            name: 'file_list',
            arguments: {
              path: 'notes',
            },
          },
        ],
        usage: {
          input: 1430,
          output: 48,
        },
      },
    },
    {
      match: {
        callIndex: 4,
      },
      reply: {
        text: 'Done. notes/todo.md lists three tasks; the first is marked done, and the command counted 2 still open.\n',
        usage: {
          input: 1620,
          output: 35,
        },
      },
    },
  ],
};
