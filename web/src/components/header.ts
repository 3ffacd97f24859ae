import type { ClientState } from '../../../client/src/index.js';
import { h, icon, ICONS } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { language, t, type Key } from '../i18n.js';
import type { ActiveSession } from '../session/sessions.js';
import { disposer, type Component, type Panel } from './types.js';

export interface HeaderDeps {
  active: Store<ActiveSession>;
  panel: Store<Panel>;
  /** Open tabs and devices of the session, from the server (null: not known). */
  presence: Store<number | null>;
}

const BADGE: Record<ClientState['status'], string> = {
  idle: 'text-bg-secondary',
  connecting: 'text-bg-warning',
  open: 'text-bg-success',
  reconnecting: 'text-bg-warning',
  closed: 'text-bg-danger',
};

/**
 * The top bar: the sessions toggle (phones), the session's name, its
 * connection status and presence ("2 here": tabs and devices open on it), always in view; while reconnecting, a countdown that
 * counts once per attempt and "Reconnect now". Search and the session menu
 * show only while a session is open.
 */
export function createHeader(root: HTMLElement, { active, panel, presence }: HeaderDeps): Component {
  const d = disposer();
  const toggle = h('button', { type: 'button', class: 'btn btn-icon phone-only', 'aria-controls': 'sessions' }, icon(ICONS.list));
  const title = h('h1', { class: 'app-title' });
  const status = h('span', { class: 'badge status', id: 'status' });
  const here = h('span', { class: 'presence small text-body-secondary', id: 'presence' });
  const reconnect = h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary' });
  const search = h('button', { type: 'button', class: 'btn btn-icon', 'aria-controls': 'search', 'aria-keyshortcuts': '/ Control+K' }, icon(ICONS.search));
  root.replaceChildren(toggle, title, status, here, reconnect, search);
  let timer: ReturnType<typeof setInterval> | undefined;
  let deadline = 0;

  function statusText(session: ActiveSession): string {
    if (session.phase !== 'open') return '';
    const { connection } = session;
    switch (connection.status) {
      case 'reconnecting': {
        const s = Math.ceil((deadline - Date.now()) / 1000);
        return s > 0 ? t('status.reconnecting', { s }) : t('status.retrying');
      }
      case 'open':
        return t('status.open');
      case 'closed':
        return t('status.closed');
      default:
        return t('status.connecting');
    }
  }

  function render(): void {
    const session = active.get();
    const open = session.phase === 'open';
    const id = session.phase === 'none' ? null : session.id;
    title.textContent = id ?? 'websocket-session';
    status.hidden = !open;
    status.textContent = statusText(session);
    if (open) {
      status.className = `badge status ${BADGE[session.connection.status]}`;
      status.dataset.state = session.connection.status;
    }
    const count = open && session.connection.status === 'open' ? presence.get() : null;
    here.hidden = count === null;
    here.textContent = count === null ? '' : t('presence.here', { count });
    reconnect.hidden = !open || session.connection.status !== 'reconnecting';
    reconnect.textContent = t('status.reconnectNow');
    search.hidden = !open;
    for (const [button, key] of [[toggle, 'header.sessions'], [search, 'header.search']] as const) {
      button.setAttribute('aria-label', t(key as Key));
      button.title = t(key as Key);
    }
    toggle.hidden = session.phase === 'none';
    toggle.setAttribute('aria-expanded', String(panel.get() === 'sessions'));
    search.setAttribute('aria-expanded', String(panel.get() === 'search'));
  }

  d.add(
    active.subscribe((session) => {
      clearInterval(timer);
      timer = undefined;
      if (session.phase === 'open' && session.connection.status === 'reconnecting') {
        // One countdown per attempt: from the delay the client chose, down by one each second.
        deadline = Date.now() + session.connection.delayMs;
        timer = setInterval(render, 1000);
      }
      render();
    }),
  );
  d.add(language.subscribe(render, false));
  d.add(panel.subscribe(render, false));
  d.add(presence.subscribe(render, false));
  d.on(toggle, 'click', () => panel.set(panel.get() === 'sessions' ? 'none' : 'sessions'));
  d.on(search, 'click', () => panel.set(panel.get() === 'search' ? 'none' : 'search'));
  d.on(reconnect, 'click', () => {
    const session = active.get();
    if (session.phase === 'open') session.client.reconnect();
  });
  return {
    destroy() {
      clearInterval(timer);
      d.destroy();
    },
  };
}
