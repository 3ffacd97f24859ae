import { store, type Store } from '../core/store.js';

/**
 * What this browser remembers of its sessions, never a token (those stay in
 * HttpOnly cookies): the IDs it opened (localStorage), a draft per session
 * (localStorage), and the client ids of the messages this tab sent
 * (sessionStorage), so a reload still marks them as its own.
 */
const PREFIX = 'websocket-session.';
const RECENT_MAX = 50;
const MINE_MAX = 500;

function read<T>(storage: Storage, key: string, fallback: T): T {
  try {
    return (JSON.parse(storage.getItem(PREFIX + key) ?? 'null') as T | null) ?? fallback;
  } catch {
    return fallback;
  }
}

function write(storage: Storage, key: string, value: unknown): void {
  try {
    if (value === null) storage.removeItem(PREFIX + key);
    else storage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or refused (private mode): the app works on without remembering.
  }
}

/** The IDs this browser opened, most recent first, as an observable list. */
export interface RecentSessions extends Store<string[]> {
  add(id: string): void;
  remove(id: string): void;
}

export function recentSessions(storage: Storage = localStorage): RecentSessions {
  const list = store<string[]>(read<unknown[]>(storage, 'recent', []).filter((id): id is string => typeof id === 'string'));
  const save = (ids: string[]) => {
    write(storage, 'recent', ids);
    list.set(ids);
  };
  return {
    ...list,
    add: (id) => save([id, ...list.get().filter((other) => other !== id)].slice(0, RECENT_MAX)),
    remove: (id) => save(list.get().filter((other) => other !== id)),
  };
}

export const drafts = {
  get: (sessionId: string): string => read(localStorage, `draft.${sessionId}`, ''),
  set: (sessionId: string, text: string): void => write(localStorage, `draft.${sessionId}`, text === '' ? null : text),
};

/** Client ids of the messages this tab sent in a session. */
export function mine(sessionId: string): { has(id: string | null): boolean; add(id: string): void } {
  const ids = new Set(read<string[]>(sessionStorage, `mine.${sessionId}`, []));
  return {
    has: (id) => id !== null && ids.has(id),
    add(id) {
      ids.add(id);
      write(sessionStorage, `mine.${sessionId}`, [...ids].slice(-MINE_MAX));
    },
  };
}
