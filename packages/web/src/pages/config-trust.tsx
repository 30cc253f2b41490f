/**
 * The top of the Configuration page: what the workspace's own .oxydra/ holds back until it is
 * trusted, and for an admin the way to trust it. The button sends back the keys_hash of the
 * settings on screen, so the gateway records trust for exactly what the admin read (a change
 * since is refused); the settings apply when the gateway restarts, never into a running one.
 */
import { heldCounts, heldCountText, heldVerb } from '@oxydra/types/held-items';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { HeldSetting, TrustDecision, WorkspaceTrust } from '../api-types.js';
import { useDashboard } from '../context.js';
import { ErrorBox, useAction } from '../ui/common.js';
import { type Column, Table } from '../ui/table.js';
import { heldBackTitle } from './held-title.js';

export function WorkspaceTrustPanel(props: { trust: WorkspaceTrust | null | undefined }) {
  const { trust } = props;
  const [decided, setDecided] = useState<string | undefined>();
  if (!trust) return null;
  if (decided !== undefined || trust.pending === 'trusted') {
    return (
      <p class="success-box" role="status">
        {decided ?? `trusted ${trust.workspace}: restart the gateway to apply`}
      </p>
    );
  }
  if (trust.state === 'untrusted' || trust.state === 'declined')
    return <HeldBack trust={trust} onTrusted={setDecided} />;
  return <p class="muted small trust-line">Workspace trust: {stateLine(trust)}</p>;
}

function stateLine(trust: WorkspaceTrust): string {
  const counts = heldCounts(trust.held);
  const count = heldCountText(counts, 'its .oxydra');
  if (trust.pending === 'revoked')
    return `trust in ${trust.workspace} was revoked; ${count} ${heldVerb(counts, 'stays', 'stay')} until the gateway restarts.`;
  const apply = heldVerb(counts, 'applies', 'apply');
  if (trust.state === 'trusted') return `${trust.workspace} is trusted (${count} ${apply}).`;
  if (trust.state === 'trusted-for-this-run')
    return `${trust.workspace} is trusted for this run (--trust): ${count} ${apply}.`;
  return `${trust.workspace}/.oxydra sets nothing that needs trust.`;
}

const HELD_COLUMNS: Column<HeldSetting>[] = [
  { header: 'Setting', sort: (held) => held.key, cell: (held) => <code>{held.key}</code> },
  { header: 'Value', class: 'wrap', cell: (held) => <code>{held.value}</code> },
  { header: 'Why it needs trust', label: 'Why', cell: (held) => held.why },
  { header: 'File', class: 'wrap small', sort: (held) => held.source, cell: (held) => held.source },
];

function HeldBack(props: { trust: WorkspaceTrust; onTrusted: (message: string) => void }) {
  const { trust } = props;
  const { me } = useDashboard();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const count = heldCountText(heldCounts(trust.held));
  const trustIt = () =>
    void action.run(async () => {
      const answer = await api<TrustDecision>('/api/v1/trust', {
        method: 'POST',
        body: { keys_hash: trust.keys_hash },
      });
      props.onTrusted(answer.message);
    });
  return (
    <section class="warn-box trust-banner" aria-labelledby="trust-title">
      <h2 id="trust-title">{heldBackTitle(trust.workspace, trust.held)}</h2>
      <p>
        {trust.state === 'declined'
          ? 'You declined to trust it. '
          : trust.changed
            ? 'They changed since it was trusted. '
            : ''}
        {trust.held.every((held) => held.yours)
          ? 'They are your own, but whoever wrote this folder chose the code they would run. '
          : 'Whoever wrote this folder chose them: they can run programs, load code, send your keys and prompts elsewhere or open the gateway. '}
        The rest of its configuration applies.
      </p>
      <Table
        caption="Settings held back"
        empty="No settings are held back."
        rows={trust.held}
        rowKey={(held) => `${held.source}:${held.key}`}
        columns={HELD_COLUMNS}
      />
      <ErrorBox error={action.error} what="Not trusted" />
      {me?.role !== 'admin' ? (
        <p class="small">
          An admin can trust it here, or run <code>oxydra trust {trust.workspace}</code> where the gateway
          runs.
        </p>
      ) : confirming ? (
        <fieldset class="trust-confirm">
          <legend>Trust {trust.workspace}?</legend>
          <p>
            These {count} will apply when the gateway restarts: they can run programs as you, load code, and
            send your API keys and prompts to the addresses they name. Trust only a workspace whose .oxydra/
            you, or someone you trust, wrote.
          </p>
          <div class="card-actions">
            <button type="button" class="danger" disabled={action.busy} onClick={trustIt}>
              Yes, trust these {count}
            </button>
            <button type="button" disabled={action.busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : (
        <div class="card-actions">
          <button type="button" class="primary" onClick={() => setConfirming(true)}>
            Trust this workspace…
          </button>
        </div>
      )}
    </section>
  );
}
