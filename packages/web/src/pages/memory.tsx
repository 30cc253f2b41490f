/** Memory: search notes and conversations, list notes, add one, delete one. */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import type { MemoryNote, MemoryResult } from '../api-types.js';
import { formatTime } from '../format.js';
import { Badge, Empty, ErrorBox, Loaded, PageHeader, useAction, useResource } from '../ui/common.js';

export function MemoryPage() {
  const [draft, setDraft] = useState('');
  const [search, setSearch] = useState('');
  const notes = useResource(() => api<{ notes: MemoryNote[] }>('/api/v1/memory/notes'), []);
  const results = useResource(
    () =>
      search
        ? api<{ results: MemoryResult[] }>(`/api/v1/memory/search${query({ q: search, top_k: 20 })}`)
        : Promise.resolve(undefined),
    [search],
  );
  const [text, setText] = useState('');
  const [tags, setTags] = useState('');
  const action = useAction();
  const add = (event: Event) => {
    event.preventDefault();
    const tagList = tags
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
    void action
      .run(() =>
        api('/api/v1/memory/notes', {
          method: 'POST',
          body: { text, ...(tagList.length > 0 ? { tags: tagList } : {}) },
        }),
      )
      .then((ok) => {
        if (!ok) return;
        setText('');
        setTags('');
        notes.reload();
      });
  };
  const remove = (note: MemoryNote) => {
    if (!confirm('Delete this note?')) return;
    void action
      .run(() => api(`/api/v1/memory/notes/${encodeURIComponent(note.id)}`, { method: 'DELETE' }))
      .then(() => {
        notes.reload();
        if (search) results.reload();
      });
  };
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Memory" />
      <search>
        <form
          class="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            setSearch(draft.trim());
          }}
        >
          <label for="memory-search">Search memory</label>
          <input
            id="memory-search"
            type="search"
            value={draft}
            onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
          />
          <button type="submit">Search</button>
        </form>
      </search>
      {search ? (
        <Loaded resource={results} what="results">
          {(data) =>
            !data || data.results.length === 0 ? (
              <Empty>Nothing found for “{search}”.</Empty>
            ) : (
              <ol class="cards" aria-label={`Results for ${search}`}>
                {data.results.map((result, index) => (
                  <li key={index} class="card">
                    <div class="card-head">
                      <Badge value={result.source ?? result.kind ?? 'memory'} tone="neutral" />
                      {result.score !== undefined ? (
                        <span class="muted small">score {result.score.toFixed(3)}</span>
                      ) : null}
                      {(result.tags ?? []).map((tag) => (
                        <span key={tag} class="tag">
                          {tag}
                        </span>
                      ))}
                    </div>
                    <p class="prompt">{result.text}</p>
                  </li>
                ))}
              </ol>
            )
          }
        </Loaded>
      ) : null}
      <h2>Notes</h2>
      <form class="stack" onSubmit={add}>
        <label for="note-text">New note</label>
        <textarea
          id="note-text"
          rows={2}
          required
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <label for="note-tags">Tags (comma-separated, optional)</label>
        <input id="note-tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
        <button type="submit" class="primary" disabled={action.busy}>
          Add note
        </button>
      </form>
      <ErrorBox error={action.error} />
      <Loaded resource={notes} what="notes">
        {(data) =>
          data.notes.length === 0 ? (
            <Empty>No notes yet.</Empty>
          ) : (
            <ul class="cards" aria-label="Notes">
              {data.notes.map((note) => (
                <li key={note.id} class="card">
                  <p class="prompt">{note.text}</p>
                  <div class="card-actions">
                    <span class="muted small">{formatTime(note.created_at)}</span>
                    {(note.tags ?? []).map((tag) => (
                      <span key={tag} class="tag">
                        {tag}
                      </span>
                    ))}
                    <button
                      type="button"
                      class="danger small-button"
                      aria-label={`Delete note ${note.text.slice(0, 40)}`}
                      onClick={() => remove(note)}
                    >
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
