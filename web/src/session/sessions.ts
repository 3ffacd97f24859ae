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
 * - failed: could not open (held elsewhere: `session_exists`, invalid, unreachable...)
 * - ended: was open, and the client gave up for good (deleted, key no longer valid)
 */
export type ActiveSession =
  | { phase: 'none'; deleted?: string }
  | { phase: 'opening'; id: string | null }
  | { phase: 'open'; id: string; client: SessionClient; created: boolean; connection: ClientState }
  | { phase: 'failed'; id: string | null; error: ClientError }
  | { phase: 'ended'; id: string; error: ClientError };

export interface Sessions {
  readonly active: Store<ActiveSession>;
  /** Opens `id` (or a new session with an ID the server picks); resolves with the ID opened, or null. */
  open(id?: string): Promise<string | null>;
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
  let current: SessionClient | null = null;
  let generation = 0;

  function dispose(): void {
    void current?.close();
    current = null;
  }

  async function open(id?: string): Promise<string | null> {
    const now = active.get();
    if (id !== undefined && (now.phase === 'open' || now.phase === 'opening') && now.id === id) return id;
    dispose();
    const mine = ++generation;
    const client = createClient();
    current = client;
    active.set({ phase: 'opening', id: id ?? null });
    try {
      const opened = await client.open(id);
      if (mine !== generation) return null;
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
      active.set({ phase: 'failed', id: id ?? null, error });
      return null;
    }
  }

  return {
    active,
    open,
    leave(deleted) {
      generation++;
      dispose();
      active.set({ phase: 'none', deleted });
    },
  };
}
