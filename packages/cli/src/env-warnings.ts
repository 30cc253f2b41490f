/**
 * A warning for each OXYDRA_ variable that looks like configuration but lacks the double
 * underscore (OXYDRA_RUNTIME__MAX_TURNS): such variables are ignored, which is otherwise silent.
 * Loaded only when some OXYDRA_ variable is set, so `--help` does not pay for the schema.
 */
import { misnamedEnvVariables } from '@oxydra/config';
import { AGENT_CONFIG_SECTIONS } from '@oxydra/types';

export function warnAboutMisnamedVariables(env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): void {
  for (const { variable, meant } of misnamedEnvVariables(env, AGENT_CONFIG_SECTIONS)) {
    stderr.write(
      `warning: ${variable} is ignored: configuration variables start with OXYDRA__ (two underscores), e.g. ${meant}\n`,
    );
  }
}
