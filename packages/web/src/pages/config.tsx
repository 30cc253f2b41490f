/**
 * The effective configuration, as the gateway runs it, with secrets masked by the gateway; above
 * it, what the workspace holds back until it is trusted (config-trust.tsx).
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { WorkspaceTrust } from '../api-types.js';
import { Loaded, PageHeader, useResource } from '../ui/common.js';
import { WorkspaceTrustPanel } from './config-trust.js';

function Value(props: { value: unknown; name: string; depth: number }) {
  const { value } = props;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    // An empty table keeps its name (it read as a stray "{}" before): nothing is set under it.
    if (entries.length === 0)
      return (
        <p class="config-empty">
          <code>{props.name}</code> <span class="muted">(none set)</span>
        </p>
      );
    return (
      <details open={props.depth < 1}>
        <summary>
          <code>{props.name}</code>
        </summary>
        <dl class="config-tree">
          {entries.map(([key, child]) =>
            child !== null && typeof child === 'object' && !Array.isArray(child) ? (
              <div key={key} class="config-section">
                <Value value={child} name={key} depth={props.depth + 1} />
              </div>
            ) : (
              <div key={key} class="config-row">
                <dt>
                  <code>{key}</code>
                </dt>
                <dd>
                  <code>{JSON.stringify(child)}</code>
                </dd>
              </div>
            ),
          )}
        </dl>
      </details>
    );
  }
  return <code>{JSON.stringify(value)}</code>;
}

export function ConfigPage() {
  const config = useResource(
    () => api<{ config: Record<string, unknown>; trust?: WorkspaceTrust | null }>('/api/v1/config'),
    [],
  );
  const [raw, setRaw] = useState(false);
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Configuration">
        <label class="check">
          <input
            type="checkbox"
            checked={raw}
            onChange={(e) => setRaw((e.target as HTMLInputElement).checked)}
          />
          Show as JSON
        </label>
      </PageHeader>
      <Loaded resource={config} what="the configuration">
        {(data) => (
          <>
            <WorkspaceTrustPanel trust={data.trust} />
            <p class="muted small">The effective configuration the gateway runs with. Secrets are masked.</p>
            {raw ? (
              <pre class="config-json">{JSON.stringify(data.config, null, 2)}</pre>
            ) : (
              <div class="config">
                {Object.entries(data.config).map(([key, value]) =>
                  value !== null && typeof value === 'object' && !Array.isArray(value) ? (
                    <Value key={key} value={value} name={`[${key}]`} depth={1} />
                  ) : (
                    <p key={key}>
                      <code>{key}</code> = <code>{JSON.stringify(value)}</code>
                    </p>
                  ),
                )}
              </div>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}
