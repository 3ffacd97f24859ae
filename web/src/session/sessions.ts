import { ClientError, type ClientState, type SessionClient } from '../../../client/src/index.js';
import { store, type Store } from '../core/store.js';
import type { RecentSessions } from './local.js';

/**
 * The one session on screen, as an observable value. Components subscribe
 * to it and show what fits the phase; only `open` has a client to talk to.
 *
 * - none: no session in the URL
 * - opening: `client.open(id)` is under way (id null: the server picks one)
 * - open: rejoined or created; `connection` is the client's state
 * - failed: could not open (held elsewhere: `session_exists`, invalid, unreachable...); `invited` when it came from an invite link
 * - ended: was open, and the client gave up for good (deleted, key no longer valid)
 */
export type ActiveSession =
  | { phase: 'none'; deleted?: string }
  | { phase: 'opening'; id: string | null }
  | { phase: 'open'; id: string; client: SessionClient; created: boolean; connection: ClientState }
  | { phase: 'failed'; id: string | null; error: ClientError; invited?: boolean }
  | { phase: 'ended'; id: string; error: ClientError };

export interface Sessions {
  readonly active: Store<ActiveSession>;
  /** Open connections (tabs, devices) of the session on screen, from the server; null when not known. */
  readonly presence: Store<number | null>;
  /**
   * Opens `id` (or a new session with an ID the server picks); with an
   * invite's `token`, exchanges it for this browser's cookie first. Resolves
   * with the ID opened, or null.
   */
  open(id?: string, token?: string): Promise<string | null>;
  /** Shows no session (closes the client). `deleted` says which one was just deleted here. */
  leave(deleted?: string): void;
}

export interface SessionsDeps {
  /** Makes the client of one session (one client per session, as the library has it). */
  createClient(): SessionClient;
  recent: RecentSessions;
}

/** Codes after which the ID is gone from this browser's list: the session no longer exists. */
const GONE = new Set(['session_not_found', 'session_deleted']);

export function createSessions({ createClient, recent }: SessionsDeps): Sessions {
  const active = store<ActiveSession>({ phase: 'none' });
  const presence = store<number | null>(null);
  let current: SessionClient | null = null;
  let generation = 0;

  function dispose(): void {
    void current?.close();
    current = null;
    presence.set(null);
  }

  async function open(id?: string, token?: string): Promise<string | null> {
    const now = active.get();
    if (id !== undefined && !token && (now.phase === 'open' || now.phase === 'opening') && now.id === id) return id;
    dispose();
    const mine = ++generation;
    const client = createClient();
    current = client;
    active.set({ phase: 'opening', id: id ?? null });
    try {
      const opened = await client.open(id, token ? { token } : {});
      if (mine !== generation) return null;
      client.on('presence', ({ count }) => mine === generation && presence.set(count));
      recent.add(opened.id);
      const view = (connection: ClientState): ActiveSession => ({ phase: 'open', id: opened.id, client, created: opened.created, connection });
      client.on('state', (state) => {
        if (mine !== generation) return;
        if (state.status === 'closed') {
          if (state.code === null) return; // closed by this page
          if (GONE.has(state.code)) recent.remove(opened.id);
          active.set({ phase: 'ended', id: opened.id, error: new ClientError(state.code, state.reason) });
        } else active.set(view(state));
      });
      active.set(view(client.state));
      void client.connect();
      return opened.id;
    } catch (err) {
      if (mine !== generation) return null;
      const error = err as ClientError;
      if (id !== undefined && GONE.has(error.code)) recent.remove(id);
      active.set({ phase: 'failed', id: id ?? null, error, invited: !!token });
      return null;
    }
  }

  return {
    active,
    presence,
    open,
    leave(deleted) {
      generation++;
      dispose();
      active.set({ phase: 'none', deleted });
    },
  };
}
