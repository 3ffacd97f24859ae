import type { ApiError as ApiErrorBody, HistoryPage, RegisteredSession, SearchPage } from '../../protocol/wire.js';

/** An HTTP API failure, with the server's code and its human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(0, 'network', 'cannot reach the server');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as ApiErrorBody | null;
    throw new ApiError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `the server answered ${res.status}`);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Registers `id` (or a generated ID); the token comes back as an HttpOnly cookie too. */
export function registerSession(id?: string): Promise<RegisteredSession> {
  return request('/api/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(id ? { id } : {}),
  });
}

/** One page of history, ascending; the newest page when `before` is omitted. */
export function fetchHistory(id: string, options: { before?: number; limit?: number } = {}): Promise<HistoryPage> {
  const query = new URLSearchParams();
  if (options.before !== undefined) query.set('before', String(options.before));
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  const suffix = query.size > 0 ? `?${query}` : '';
  return request(`${sessionPath(id)}/messages${suffix}`, { cache: 'no-store' });
}

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

/** Full-text search in the session's history, best matches first. */
export function searchMessages(id: string, q: string, options: { limit?: number; offset?: number } = {}): Promise<SearchPage> {
  const query = new URLSearchParams({ q, limit: String(options.limit ?? 20), offset: String(options.offset ?? 0) });
  return request(`${sessionPath(id)}/search?${query}`, { cache: 'no-store' });
}

/** Where the whole history downloads from (the cookie authorises it; the answer is an attachment). */
export const exportUrl = (id: string, format: 'ndjson' | 'csv') => `${sessionPath(id)}/export?format=${format}`;

/** Deletes the session and all its history for everyone. */
export function deleteSession(id: string): Promise<void> {
  return request(sessionPath(id), { method: 'DELETE' });
}
