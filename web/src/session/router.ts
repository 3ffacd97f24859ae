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

/** An invite link: the session's URL with its token in the fragment, which browsers never send to a server. */
export const inviteLink = (origin: string, id: string, token: string) => `${origin}${sessionPath(id)}#invite=${token}`;

/**
 * The token of an invite link (`#invite=<token>`), taken out of the address
 * bar and of the history entry (replaceState: back, forward and a reload
 * never see it again); null without one. Called before anything else runs.
 */
export function takeInvite(win: Window = window): string | null {
  const { hash, pathname, search } = win.location;
  if (!hash.startsWith('#invite=')) return null;
  win.history.replaceState(win.history.state, '', pathname + search);
  return hash.slice(8) || null;
}

export interface Router {
  /** Opens `id` and makes it the URL (a new history entry); without `id` a new session with an ID the server picks. */
  go(id?: string): Promise<string | null>;
  /** Back to no session (`/`). */
  home(options?: { deleted?: string }): void;
  /** Opens the session of the current URL (with an invite's token, taken first), and follows back and forward from now on. */
  start(invite?: string | null): void;
}

/**
 * Keeps the URL and the active session together: a deep link opens its
 * session, back and forward reopen theirs, and opening one pushes its URL.
 */
export function createRouter(sessions: Sessions, win: Window = window): Router {
  const follow = (invite?: string | null) => {
    const id = sessionIdFromPath(win.location.pathname);
    if (id === null) sessions.leave();
    else void sessions.open(id, invite ?? undefined);
  };
  return {
    start(invite) {
      win.addEventListener('popstate', () => follow());
      // An invite link pasted into this tab changes only the fragment: no new page load.
      win.addEventListener('hashchange', () => {
        const token = takeInvite(win);
        if (token) follow(token);
      });
      follow(invite);
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
