/** A source string for a provenance, cut to a readable length (it is shown in approvals). */
export function sourceOf(value: unknown): { source?: string } {
  return typeof value === 'string' && value !== '' ? { source: value.slice(0, 200) } : {};
}
