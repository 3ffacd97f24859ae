import type { ApiError, HistoryPage, RegisteredSession, SearchPage, SessionInfo } from '../../protocol/wire.js';
import { ClientError, wireCode } from './errors.js';

/** The fetch the client calls: the global one in browsers and Node 18+, or any with its signature. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** `http(s)://host[:port]` of the HTTP API, without a trailing slash. */
  baseUrl: string;
  fetch: FetchLike;
  /** The token to present as `Authorization: Bearer`, or null (the cookie, or none). */
  token(sessionId: string): Promise<string | null>;
}

export type ExportFormat = 'ndjson' | 'csv';

const sessionPath = (sessionId: string) => `/api/sessions/${encodeURIComponent(sessionId)}`;

/** Milliseconds from a `Retry-After` header in seconds (the only form the server sends). */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return response.headers.has('retry-after') && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** The typed error of a non-2xx answer, from its `{error:{code,message}}` body when it has one. */
export async function responseError(response: Response): Promise<ClientError> {
  const body = (await response.json().catch(() => null)) as ApiError | null;
  const retryAfter = retryAfterMs(response);
  const details = { status: response.status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) };
  if (body?.error) return new ClientError(wireCode(body.error.code), body.error.message, details);
  // Not the server's own answer (a proxy's error page): a 5xx may pass, anything else will not.
  return new ClientError(response.status >= 500 ? 'internal' : 'protocol_error', `the server answered ${response.status}`, details);
}

/** The HTTP API of the service, as the client uses it. Every method throws ClientError. */
export class HttpApi {
  readonly #options: HttpOptions;

  constructor(options: HttpOptions) {
    this.#options = options;
  }

  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  /** Sends a request; resolves with the answer when 2xx, else throws its ClientError (`network` when unreachable). */
  async request(path: string, init: RequestInit & { sessionId?: string; token?: string | null } = {}): Promise<Response> {
    const { sessionId, token: given, ...rest } = init;
    const token = given !== undefined ? given : sessionId === undefined ? null : await this.#options.token(sessionId);
    const headers: Record<string, string> = { ...(rest.headers as Record<string, string> | undefined) };
    if (token) headers.authorization = `Bearer ${token}`;
    const fetch = this.#options.fetch;
    let response: Response;
    try {
      response = await fetch(`${this.#options.baseUrl}${path}`, { ...rest, headers });
    } catch (cause) {
      throw new ClientError('network', `cannot reach ${this.#options.baseUrl}`, { cause });
    }
    if (!response.ok) throw await responseError(response);
    return response;
  }

  async json<T>(path: string, init?: Parameters<HttpApi['request']>[1]): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  /** POST /api/sessions: 201 created, 200 rejoined (the token matched); 409 session_exists otherwise. */
  async register(sessionId: string | undefined, token: string | null): Promise<{ session: RegisteredSession; created: boolean }> {
    const response = await this.request('/api/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sessionId === undefined ? {} : { id: sessionId }),
      token,
    });
    return { session: (await response.json()) as RegisteredSession, created: response.status === 201 };
  }

  info(sessionId: string): Promise<SessionInfo> {
    return this.json(sessionPath(sessionId), { sessionId });
  }

  history(sessionId: string, options: { before?: number; limit?: number }): Promise<HistoryPage> {
    const query = new URLSearchParams();
    if (options.before !== undefined) query.set('before', String(options.before));
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.json(`${sessionPath(sessionId)}/messages${suffix}`, { sessionId });
  }

  search(sessionId: string, q: string, options: { limit?: number; offset?: number }): Promise<SearchPage> {
    const query = new URLSearchParams({ q });
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.offset !== undefined) query.set('offset', String(options.offset));
    return this.json(`${sessionPath(sessionId)}/search?${query}`, { sessionId });
  }

  exportPath(sessionId: string, format: ExportFormat): string {
    return `${sessionPath(sessionId)}/export?format=${format}`;
  }

  /** POST /api/sessions/:id/token: a new token for the session (200); the old one stops working. */
  revoke(sessionId: string): Promise<RegisteredSession> {
    return this.json(`${sessionPath(sessionId)}/token`, { method: 'POST', sessionId });
  }

  async delete(sessionId: string): Promise<void> {
    await this.request(sessionPath(sessionId), { method: 'DELETE', sessionId });
  }
}
