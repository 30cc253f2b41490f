/**
 * Loads the screen (Ink and the app) for a terminal.
 *
 * Ink decides once, when its module is first evaluated, whether it runs "in CI": CI or
 * CONTINUOUS_INTEGRATION set to anything but 0/false. Then it writes only finished lines and
 * the last frame at exit: no input box, no status bar, nothing to type into. A user whose shell
 * exports CI=true (dev containers, a CI job's debug shell) and opens the TUI in a real terminal
 * wants the interactive screen, so when the output is a terminal those variables are hidden
 * while Ink loads, and put back right after.
 */
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function loadScreen(stdout: NodeJS.WriteStream): Promise<typeof import('./ui/draw-app.js')> {
  if (!stdout.isTTY) return import('./ui/draw-app.js');
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await import('./ui/draw-app.js');
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
