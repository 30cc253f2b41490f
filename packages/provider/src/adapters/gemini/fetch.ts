/**
 * The adapter's fetch: `timeoutMs` bounds the wait for the response to start, never the stream
 * itself (a long reply may take minutes to arrive, and must not be cut while it does).
 */
export async function fetchWithStartTimeout(
  fetcher: typeof fetch,
  timeoutMs: number | undefined,
  url: string,
  init: RequestInit,
): Promise<Response> {
  // No start timeout: skip the extra controller and AbortSignal.any on this hot path.
  if (timeoutMs === undefined) return fetcher(url, init);
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('the request timed out', 'TimeoutError')),
    timeoutMs,
  );
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    return await fetcher(url, { ...init, signal });
  } finally {
    clearTimeout(timer);
  }
}
