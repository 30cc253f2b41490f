/**
 * Recall under the agent's taint policy (docs/security.md, "Recalled conversations"): a snippet
 * written while its run's context held untrusted content comes back with those sources (the
 * session's hook names where it was recalled from), so the run that recalls it records them and
 * the policy gates its later risky calls as it gated the run that read the page; the runtime
 * shows it below an untrusted line. Sources of kinds this agent trusts (a workspace file, by
 * default) are dropped here: the snippet is then plain, and costs no token more than before.
 * [taint] recall = "exclude" leaves tainted snippets out instead; with the policy off, every
 * snippet is plain, as it always was.
 */
import type { Recalled, RecallHook } from '@oxydra/runtime';
import type { TaintPolicy } from './taint-policy.js';

export function recallUnderPolicy(
  policy: Pick<TaintPolicy, 'enabled' | 'untrusted' | 'recall'>,
  hook: RecallHook,
): RecallHook {
  return async (query, signal) => {
    const found = await hook(query, signal);
    let kept: Recalled[] | undefined;
    found.forEach((snippet, i) => {
      const judged = judge(policy, snippet);
      // Copied only from the first snippet that changes: a clean recall allocates nothing more.
      if (judged !== snippet && kept === undefined) kept = found.slice(0, i);
      if (kept !== undefined && judged !== undefined) kept.push(judged);
    });
    return kept ?? found;
  };
}

/** The snippet as the run should get it; undefined: left out. */
function judge(
  policy: Pick<TaintPolicy, 'enabled' | 'untrusted' | 'recall'>,
  snippet: Recalled,
): Recalled | undefined {
  if (typeof snippet === 'string') return snippet;
  if (!policy.enabled) return snippet.text;
  const untrusted = snippet.provenance.filter((provenance) => policy.untrusted.has(provenance.kind));
  if (untrusted.length === 0) return snippet.text;
  if (policy.recall === 'exclude') return undefined;
  return untrusted.length === snippet.provenance.length
    ? snippet
    : { text: snippet.text, provenance: untrusted };
}
