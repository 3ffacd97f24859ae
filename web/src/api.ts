import type { ApiError as ApiErrorBody, HistoryPage, RegisteredSession } from '../../protocol/wire.js';

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
    throw new ApiError(0, 'network', 'cannot reach the server; check that it is running');
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
  return request(`/api/sessions/${encodeURIComponent(id)}/messages${suffix}`, { cache: 'no-store' });
}
