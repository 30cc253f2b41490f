/**
 * Serving and operating: models, gateway, dashboard, completion, status, logs, service, tui,
 * mock-llm, runner, guest, shell-daemon.
 * Declared here with their flags and help text only; each implementation is imported when it
 * runs (lazy), so `--help` loads no heavy module. One function per command: a command line
 * that names one declares it alone (main.ts).
 */
import type { Command } from 'commander';
import { addConfigFlags } from '../config-flags.js';
import { type CommandDeclarations, lazy } from './lazy.js';

export const SERVICE_COMMANDS: CommandDeclarations = {
  models(program) {
    const models = program
      .command('models')
      .description('the model catalog: context windows, capabilities, prices; local GGUF models');
    models
      .command('list')
      .description('list known models (prices in US$ per million tokens)')
      .option('--provider <name>', 'a catalog namespace (openai, anthropic, google) or a registry entry')
      .option('--local', 'list the GGUF files in the local models folder (llama_cpp)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/models.js'), 'runModelsList'));
    models
      .command('pull')
      .description('download a GGUF model for the llama_cpp provider (resumable, SHA-256 checked)')
      .argument('<url>', 'http(s) address of a .gguf file')
      .option('--sha256 <hex>', "the expected SHA-256 (else <url>.sha256, or the hub's own)")
      .option('--name <file>', "file name in the models folder (default: the URL's)")
      .action(lazy(() => import('../commands/models-pull.js'), 'runModelsPull'));
    models
      .command('show')
      .description('everything the catalog knows about one model')
      .argument('<id>', 'model id, e.g. gpt-4o-mini')
      .option('--provider <name>', 'look only in this namespace or registry entry')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/models.js'), 'runModelsShow'));
  },
  gateway(program) {
    addConfigFlags(
      program
        .command('gateway')
        .description(
          'serve this workspace over WebSocket and HTTP (sessions, OpenAI-compatible API) in the foreground',
        )
        .option('--bind <host:port>', 'listen address (overrides [gateway] bind, default 127.0.0.1:7700)')
        .option('--log-format <format>', 'pretty (default) or json (one JSON object per line)'),
    ).action(lazy(() => import('../commands/gateway.js'), 'runGateway'));
  },
  dashboard(program) {
    program
      .command('dashboard')
      .description(
        "open the running gateway's web dashboard signed in (a one-time link; the token is never in a URL)",
      )
      .option('--print', 'only print the link')
      .option(
        '--gateway <url>',
        "the gateway's address, http(s):// or ws(s):// (default: the one running on this workspace); http:// and ws:// to this machine only",
      )
      .action(lazy(() => import('../commands/dashboard.js'), 'runDashboard'));
  },
  completion(program) {
    program
      .command('completion')
      .description(
        'print the shell completion script: eval "$(oxydra completion bash)", zsh alike; fish: > ~/.config/fish/completions/oxydra.fish',
      )
      .argument('<shell>', 'bash, zsh or fish')
      .action(lazy(() => import('../commands/completion.js'), 'runCompletion'));
  },
  status(program) {
    program
      .command('status')
      .description('the gateways running on this workspace, and whether each is ready (exit 1: none is)')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/status.js'), 'runStatus'));
  },
  logs(program) {
    program
      .command('logs')
      .description("the log of this workspace's gateway (.oxydra/logs/gateway.log, rotated at 5 MiB)")
      .option('-f, --follow', 'keep printing new lines (across rotation) until interrupted')
      .option('--tail <n>', 'lines to print first (default 100, at most 10000)')
      .option('--json', 'print the stored JSON lines')
      .action(lazy(() => import('../commands/logs.js'), 'runLogs'));
  },
  service(program) {
    // A systemd unit for this workspace's gateway (commands/service.ts).
    const service = program
      .command('service')
      .description("run this workspace's gateway as a systemd service (a user unit; a system unit as root)");
    const scopeFlags = (command: Command) =>
      command
        .option(
          '--system',
          'a system unit (/etc/systemd/system), run as the workspace owner (default as root)',
        )
        .option('--user', 'a user unit (~/.config/systemd/user) (default when not root)');
    scopeFlags(
      service
        .command('install')
        .description(
          'write the unit, enable it and start it (API keys: ~/.config/oxydra/service.env, never the unit)',
        )
        .option('--port <n>', 'listen on 127.0.0.1:<n> (default: [gateway] bind)')
        .option('--dry-run', 'print the unit (on macOS the launchd job) and change nothing'),
    ).action(lazy(() => import('../commands/service.js'), 'runServiceInstall'));
    scopeFlags(service.command('uninstall').description('stop, disable and remove the unit')).action(
      lazy(() => import('../commands/service.js'), 'runServiceUninstall'),
    );
    scopeFlags(
      service
        .command('status')
        .description('installed? active? its address and the last log lines (exit 0 only when active)')
        .option('--json', 'print JSON'),
    ).action(lazy(() => import('../commands/service.js'), 'runServiceStatus'));
  },
  tui(program) {
    program
      .command('tui')
      .description('the terminal UI: chat through a running gateway (`oxydra gateway`)')
      .option(
        '--gateway <url>',
        "the gateway's address, ws(s):// or http(s):// (default ws://127.0.0.1:7700/ws); ws:// and http:// to this machine only",
      )
      .option('--session <id>', 'resume this session instead of starting a new one')
      .option('--user <name>', 'act as this gateway user')
      .action(lazy(() => import('../commands/tui.js'), 'runTuiCommand'));
  },
  'mock-llm'(program) {
    program
      .command('mock-llm')
      .description(
        'run a mock LLM server (OpenAI Chat/Responses, Anthropic, Gemini wire protocols) from a scenario file',
      )
      .usage(
        '--api openai-chat|openai-responses|anthropic|gemini --scenario FILE [--fixture FILE] [--port N]',
      )
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]')
      .action(async (_args: string[], _options: unknown, command: Command) => {
        const { runMockLlm } = await import('../commands/mock-llm.js');
        process.exitCode = await runMockLlm(command.args);
      });
  },
  runner(program) {
    // Runner: one user's guest behind a detached daemon (`runner daemon` and `guest` are internal).
    const runner = program
      .command('runner')
      .description("run a user's agent guest in an isolation tier, behind a daemon (see runner.toml)");
    const runnerFlags = (command: Command, insecure = false) => {
      command
        .option('-c, --config <path>', 'the runner configuration', '.oxydra/runner.toml')
        .option('-u, --user <id>', 'the user (default: the only one in runner.toml)');
      if (insecure) {
        command.option('--insecure', 'process tier with NO sandbox for shell commands (development only)');
      }
      return command;
    };
    runnerFlags(
      runner
        .command('start')
        .description("launch the user's guest and a daemon that owns it; returns once it is healthy")
        .option('--tui', 'start nothing: open the terminal UI on the running guest (as `runner tui`)')
        .option('--wait <seconds>', 'how long to wait for the guest to become healthy (default 30)'),
      true,
    ).action(lazy(() => import('../commands/runner.js'), 'runRunnerStart'));
    runnerFlags(runner.command('stop').description("stop the user's guest and its daemon")).action(
      lazy(() => import('../commands/runner.js'), 'runRunnerStop'),
    );
    runnerFlags(
      runner
        .command('status')
        .description("is the user's guest healthy? (exit 0 only when it is)")
        .option('--json', 'print the health status as JSON'),
    ).action(lazy(() => import('../commands/runner.js'), 'runRunnerStatus'));
    runnerFlags(
      runner
        .command('logs')
        .description("the guest's output (<workspace>/logs/{role}.{stream}.log)")
        .option('-f, --follow', 'keep printing new lines until interrupted')
        .option('--tail <n>', 'lines per file (default 200, at most 1000)')
        .option('--role <role>', 'runtime (default), sidecar or all')
        .option('--stream <stream>', 'stdout, stderr or both (default)')
        .option('--format <format>', 'text (default) or json'),
    ).action(lazy(() => import('../commands/runner-logs.js'), 'runRunnerLogs'));
    runnerFlags(
      runner
        .command('tui')
        .description("open the terminal UI on the user's running guest (never starts one)"),
    ).action(lazy(() => import('../commands/runner.js'), 'runRunnerTui'));
    const image = runner
      .command('image')
      .description(
        "the container tier's guest image (Debian + node + this oxydra, built offline, no registry)",
      );
    image
      .command('build')
      .description("build this oxydra's guest image with mmdebstrap and import it (a few minutes)")
      .option('--suite <name>', "the Debian release (default: this host's)")
      .option('--mirror <url>', "a Debian mirror (default: mmdebstrap's, deb.debian.org)")
      .option('--force', 'rebuild even when the image exists')
      .action(lazy(() => import('../commands/runner-image.js'), 'runRunnerImageBuild'));
    image
      .command('list')
      .description('the guest images the container engine holds')
      .option('--json', 'print JSON')
      .action(lazy(() => import('../commands/runner-image.js'), 'runRunnerImageList'));
    image
      .command('prune')
      .description("remove every guest image but this oxydra's")
      .action(lazy(() => import('../commands/runner-image.js'), 'runRunnerImagePrune'));
    // The micro-VM tier's guest image (commands/runner-vm.ts).
    const vm = runner.command('vm').description("the micro_vm tier's guest image (QEMU)");
    vm.command('build')
      .description('build the guest image (kernel + initramfs) offline from Debian packages')
      .action(lazy(() => import('../commands/runner-vm.js'), 'runRunnerVmBuild'));
    vm.command('status')
      .description('can this machine boot micro-VM guests? (exit 0 only when it can)')
      .action(lazy(() => import('../commands/runner-vm.js'), 'runRunnerVmStatus'));
    runnerFlags(runner.command('daemon', { hidden: true }), true).action(
      lazy(() => import('../commands/runner.js'), 'runRunnerDaemon'),
    );
  },
  guest(program) {
    program
      .command('guest', { hidden: true })
      .description("a runner's guest (started by `oxydra runner start`)")
      .option('--bootstrap-stdin', 'read the bootstrap envelope frame from stdin')
      .option('--bootstrap-file <path>', 'read the bootstrap envelope from this JSON file')
      .option('--exit-on-stdin-close', 'stop when stdin closes (the runner is gone)')
      .option('--gateway-bind <host:port>', 'where the gateway listens (default 127.0.0.1:0)')
      .option('--secrets-stdin', 'read the secrets frame from stdin (the container tier)')
      .option('--egress-socket <path>', "send every fetch through the runner's egress proxy at this socket")
      .option('--gateway-socket <path>', 'also serve the gateway on this Unix socket')
      .action(lazy(() => import('../commands/guest.js'), 'runGuest'));
  },
  'shell-daemon'(program) {
    program
      .command('shell-daemon', { hidden: true })
      .description('the shell RPC of a guest sidecar, on a Unix socket (commands run unsandboxed)')
      .option('--socket <path>', 'the Unix socket to listen on')
      .action(lazy(() => import('../commands/guest-shell-daemon.js'), 'runShellDaemon'));
  },
};
