/**
 * The gateway's REST API (/api/v1, JSON, snake_case) from the browser: the bearer token on every
 * request, errors in the gateway's shape `{"error": {"message", "type", "code"}}` turned into
 * ApiError, and a 401 drops the token (the login form returns, saying why).
 */
import { currentToken, dropToken } from './session-token.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Send this token instead of the saved one (the login form's check). */
  token?: string;
}

function headers(options: RequestOptions): Record<string, string> {
  const token = options.token ?? currentToken();
  return {
    accept: 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
  };
}

async function failure(response: Response, options: RequestOptions): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let code = `http_${response.status}`;
  try {
    const body = (await response.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code) code = body.error.code;
  } catch {
    // not JSON: the status says enough
  }
  if (response.status === 401 && options.token === undefined) dropToken('The gateway refused the token.');
  return new ApiError(message, response.status, code);
}

/** A raw authorised request (for downloads and streams); throws ApiError on a non-2xx answer. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers: headers(options),
      credentials: 'omit',
      cache: 'no-store',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('the gateway does not answer (is `oxydra gateway` running?)', 0, 'unreachable');
  }
  if (!response.ok) throw await failure(response, options);
  return response;
}

/** A JSON request; an empty answer (204) is undefined. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Saves a response body as a file (an export), through a temporary object URL. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await request(path);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
