import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type ClientEvents, type ClientOptions, type Message, type SessionClient } from '../src/index.js';

/** A client of the server at `baseUrl`, with `ws` as its WebSocket (Node 20 has no global one). */
export function nodeClient(baseUrl: string, options: Partial<ClientOptions> = {}): SessionClient {
  const client = createClient({ baseUrl, WebSocket, ...options });
  opened.add(client);
  return client;
}

/** Every payload of `event` from now on, in order; `until` awaits a condition on them, checked now and on each new one. */
export function record<K extends keyof ClientEvents & string>(
  client: SessionClient,
  event: K,
): ClientEvents[K][] & { until(test: (seen: ClientEvents[K][]) => boolean): Promise<void> } {
  const waiters = new Set<() => void>();
  const seen = Object.assign([] as ClientEvents[K][], {
    until: (test: (seen: ClientEvents[K][]) => boolean) =>
      new Promise<void>((resolve) => {
        if (test(seen)) return resolve();
        const check = () => {
          if (!test(seen)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
  });
  client.on(event, (payload) => {
    seen.push(payload);
    for (const check of [...waiters]) check();
  });
  return seen;
}

/** Clients a test made, closed after it (so none keeps reconnecting to a stopped server). */
const opened = new Set<SessionClient>();
afterEach(async () => {
  await Promise.all([...opened].map((client) => client.close()));
  opened.clear();
});

/** The next payload of `event` that passes `test`; rejects if the client closes first (unless awaiting that). */
export function next<K extends keyof ClientEvents & string>(
  client: SessionClient,
  event: K,
  test: (payload: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const offs = [
      client.on(event, (payload) => {
        if (!test(payload)) return;
        offs.forEach((off) => off());
        resolve(payload);
      }),
      client.on('state', (state) => {
        if (event === 'state' || state.status !== 'closed') return;
        offs.forEach((off) => off());
        reject(new Error(`the client closed (${state.code}: ${state.reason}) while awaiting ${event}`));
      }),
    ];
  });
}

/** The whole history of the client's session over HTTP, oldest first. */
export async function wholeHistory(client: SessionClient): Promise<Message[]> {
  const pages: Message[][] = [];
  let before: number | undefined;
  for (let i = 0; i < 10_000; i++) {
    const page = await client.history({ limit: 500, ...(before === undefined ? {} : { before }) });
    pages.unshift(page.messages);
    if (!page.hasMore || page.messages.length === 0) break;
    before = page.messages[0]!.seq;
  }
  return pages.flat();
}

/** Asserts seqs 1..n without a gap or a repeat, and each client id at most once. */
export function contiguous(messages: Message[]): boolean {
  const ids = messages.map((m) => m.id).filter((id) => id !== null);
  return messages.every((m, i) => m.seq === i + 1) && new Set(ids).size === ids.length;
}

/** One token store for several clients (tabs of one browser, processes sharing a file); `get` is synchronous here. */
export function sharedTokens(): { get(id: string): string | null; set(id: string, token: string): void; delete(id: string): void } {
  const tokens = new Map<string, string>();
  return {
    get: (id) => tokens.get(id) ?? null,
    set: (id, token) => void tokens.set(id, token),
    delete: (id) => void tokens.delete(id),
  };
}
