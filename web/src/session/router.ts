import type { Sessions } from './sessions.js';

/** The session on screen is the one in the URL: `/s/<ID>`; `/` shows none. */
export const sessionPath = (id: string) => `/s/${encodeURIComponent(id)}`;

export function sessionIdFromPath(pathname: string): string | null {
  const match = /^\/s\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1]!;
  }
}

export interface Router {
  /** Opens `id` and makes it the URL (a new history entry); without `id` a new session with an ID the server picks. */
  go(id?: string): Promise<string | null>;
  /** Back to no session (`/`). */
  home(options?: { deleted?: string }): void;
  /** Opens the session of the current URL, and follows back and forward from now on. */
  start(): void;
}

/**
 * Keeps the URL and the active session together: a deep link opens its
 * session, back and forward reopen theirs, and opening one pushes its URL.
 */
export function createRouter(sessions: Sessions, win: Window = window): Router {
  const follow = () => {
    const id = sessionIdFromPath(win.location.pathname);
    if (id === null) sessions.leave();
    else void sessions.open(id);
  };
  return {
    start() {
      win.addEventListener('popstate', follow);
      follow();
    },
    async go(id) {
      if (id !== undefined) {
        if (sessionIdFromPath(win.location.pathname) !== id) win.history.pushState(null, '', sessionPath(id));
        return sessions.open(id);
      }
      const opened = await sessions.open();
      if (opened !== null) win.history.pushState(null, '', sessionPath(opened));
      return opened;
    },
    home({ deleted } = {}) {
      if (win.location.pathname !== '/') win.history.pushState(null, '', '/');
      sessions.leave(deleted);
    },
  };
}
