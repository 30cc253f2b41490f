/**
 * `oxydra completion bash|zsh|fish`: a completion script for the shell, printed to stdout, made
 * from the program's own command tree (commands, subcommands and their options), so it never
 * falls behind the commands. Commands and options complete; arguments fall back to file names.
 *   bash: eval "$(oxydra completion bash)"   (or save it under ~/.local/share/bash-completion/completions/oxydra)
 *   zsh:  eval "$(oxydra completion zsh)"    (bash's script through zsh's bashcompinit)
 *   fish: oxydra completion fish > ~/.config/fish/completions/oxydra.fish
 */

import { UsageError } from '@oxydra/types';
import type { Command } from 'commander';
import { EXIT_OK } from '../exit-codes.js';

interface Node {
  /** Command names from the root, e.g. ["config", "set"]; [] for the root. */
  path: string[];
  description: string;
  subcommands: Node[];
  options: { long?: string; short?: string; description: string }[];
}

function tree(command: Command, path: string[] = []): Node {
  // What --help lists, and no more: hidden commands (the runner's guest, daemon, shell-daemon)
  // are internals a person never types.
  const visible = new Set(command.createHelp().visibleCommands(command));
  return {
    path,
    description: command.description(),
    subcommands: command.commands
      .filter((sub) => visible.has(sub) && !sub.name().startsWith('_'))
      .map((sub) => tree(sub, [...path, sub.name()])),
    options: [
      ...command.options.map((option) => ({
        ...(option.long ? { long: option.long } : {}),
        ...(option.short ? { short: option.short } : {}),
        description: option.description,
      })),
      { long: '--help', short: '-h', description: 'show help' },
    ],
  };
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const sub of node.subcommands) walk(sub, visit);
}

/** Names and flags are [a-z0-9-]; anything else is left out rather than quoted into a script. */
const SAFE = /^-{0,2}[A-Za-z0-9][A-Za-z0-9-]*$/;
const words = (list: (string | undefined)[]) =>
  list.filter((w): w is string => w !== undefined && SAFE.test(w));

function bash(root: Node): string {
  const subs: string[] = [];
  const opts: string[] = [];
  walk(root, (node) => {
    const key = node.path.join(' ');
    subs.push(`    '${key}') echo '${words(node.subcommands.map((s) => s.path.at(-1))).join(' ')}' ;;`);
    opts.push(`    '${key}') echo '${words(node.options.flatMap((o) => [o.long, o.short])).join(' ')}' ;;`);
  });
  return `# oxydra completion for bash (and zsh through bashcompinit): made by \`oxydra completion\`
_oxydra_subcommands() {
  case "$1" in
${subs.join('\n')}
  esac
}
_oxydra_options() {
  case "$1" in
${opts.join('\n')}
  esac
}
_oxydra() {
  # Under zsh's bashcompinit, COMP_WORDS is a zsh array: index it from 0 as bash does.
  [[ -n "\${ZSH_VERSION-}" ]] && setopt localoptions ksharrays
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word subs i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    subs=" $(_oxydra_subcommands "$path") "
    [[ "$subs" == *" $word "* ]] && path="\${path:+$path }$word"
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_oxydra_options "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_oxydra_subcommands "$path")" -- "$cur"))
  fi
}
complete -o default -F _oxydra oxydra
`;
}

function zsh(root: Node): string {
  return `#compdef oxydra
# oxydra completion for zsh: bash's, through zsh's bashcompinit
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(root)}`;
}

/** A fish single-quoted string: backslashes and quotes escaped. */
const fishQuote = (text: string) =>
  `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, ' ')}'`;

function fish(root: Node): string {
  const lines = ['# oxydra completion for fish: made by `oxydra completion`', 'complete -c oxydra -e'];
  walk(root, (node) => {
    // The condition for this node: its whole path seen, and none of its own subcommands yet.
    const seen = node.path.map((name) => `__fish_seen_subcommand_from ${name}`);
    const children = words(node.subcommands.map((s) => s.path.at(-1)));
    const here = node.path.length === 0 ? ['__fish_use_subcommand'] : seen;
    const notDeeper =
      children.length > 0 && node.path.length > 0
        ? [`not __fish_seen_subcommand_from ${children.join(' ')}`]
        : [];
    const condition = fishQuote([...here, ...notDeeper].join('; and '));
    for (const sub of node.subcommands) {
      const name = sub.path.at(-1)!;
      if (!SAFE.test(name)) continue;
      lines.push(`complete -c oxydra -n ${condition} -a ${name} -d ${fishQuote(sub.description)}`);
    }
    for (const option of node.options) {
      const long = option.long && SAFE.test(option.long) ? ` -l ${option.long.replace(/^--/, '')}` : '';
      const short = option.short && SAFE.test(option.short) ? ` -s ${option.short.replace(/^-/, '')}` : '';
      if (long || short)
        lines.push(`complete -c oxydra -n ${condition}${long}${short} -d ${fishQuote(option.description)}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

const SHELLS = { bash, zsh, fish } as const;

export async function runCompletion(shell: string, _options: unknown, command: Command): Promise<number> {
  const make = SHELLS[shell as keyof typeof SHELLS];
  if (!make) {
    throw new UsageError(`no completion for the shell "${shell}"`, { hint: 'choose bash, zsh or fish' });
  }
  let root = command;
  while (root.parent) root = root.parent;
  process.stdout.write(make(tree(root)));
  return EXIT_OK;
}
