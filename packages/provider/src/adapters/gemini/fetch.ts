/**
 * The fetch the Gemini SDK gets: it keeps the response headers (the SDK's ApiError drops
 * them, and retry-after lives there) and bounds the wait for the response to start. The SDK's
 * own `timeout` would also cut a long stream that is still arriving.
 */
export interface ObservedFetch {
  fetch: typeof fetch;
  headers(): Headers | undefined;
}

export function observedFetch(base: typeof fetch, timeoutMs: number | undefined): ObservedFetch {
  let headers: Headers | undefined;
  const wrapped = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    if (timeoutMs === undefined) {
      // No start timeout: skip the extra controller and AbortSignal.any on this hot path.
      const response = await base(input, init);
      headers = response.headers;
      return response;
    }
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException('the request timed out', 'TimeoutError')),
      timeoutMs,
    );
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    try {
      const response = await base(input, { ...init, signal });
      headers = response.headers;
      return response;
    } finally {
      clearTimeout(timer);
    }
  };
  return { fetch: wrapped as typeof fetch, headers: () => headers };
}
