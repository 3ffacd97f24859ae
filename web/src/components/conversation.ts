import type { ReceivedMessage, SessionClient } from '../../../client/src/index.js';
import { h } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { explain } from '../errors.js';
import { language, phrase, t, type Phrase } from '../i18n.js';
import { SessionHistory } from '../history/history-loader.js';
import { HistoryView } from '../history/history-view.js';
import { mine } from '../session/local.js';
import type { Router } from '../session/router.js';
import type { ActiveSession } from '../session/sessions.js';
import type { Notifier } from './notifier.js';
import type { Toasts } from './toasts.js';
import { disposer, type Component, type Panel } from './types.js';

export interface ConversationDeps {
  active: Store<ActiveSession>;
  router: Router;
  panel: Store<Panel>;
  notifier: Notifier;
  toasts: Toasts;
  /** Puts the focus in the message box (after "Jump to latest"). */
  focusComposer(): void;
}

export interface Conversation extends Component {
  /** Shows the messages sent and not yet acknowledged, and brings the newest into view (after a send). */
  showPending(): void;
  /** Shows a message (from search) in its place in the history, marked and focused. */
  openMessage(seq: number): void;
}

/** What one open session binds: its history, its listeners. */
interface Bound {
  client: SessionClient;
  history: SessionHistory;
  view: HistoryView;
  mine: ReturnType<typeof mine>;
  unread: number;
  off: Array<() => void>;
}

/**
 * The message list of the open session, or, without one, what to do: a
 * welcome, "opening…", or why it could not open with the way on. The list
 * keeps the reader's place (new messages pull it down only from the
 * bottom), counts what came meanwhile on "Jump to latest" and marks it
 * with a "New messages" divider.
 */
export function createConversation(root: HTMLElement, { active, router, panel, notifier, toasts, focusComposer }: ConversationDeps): Conversation {
  const d = disposer();
  const title = h('h2', { class: 'h5', tabindex: '-1' });
  const text = h('p');
  const another = h('button', { type: 'button', class: 'btn btn-primary' });
  const retry = h('button', { type: 'button', class: 'btn btn-outline-secondary' });
  const notice = h('div', { class: 'notice' }, title, text, h('div', { class: 'd-flex flex-wrap gap-2' }, another, retry));
  const list = h('ol', { class: 'history', id: 'messages' });
  const listState = h('p', { class: 'list-state text-body-secondary', role: 'status' });
  const jump = h('button', { type: 'button', class: 'btn btn-primary btn-sm rounded-pill shadow jump' });
  root.replaceChildren(notice, listState, list, jump);
  let bound: Bound | null = null;
  let loadError: Phrase | null = null;

  function renderNotice(session: ActiveSession): void {
    let heading: Phrase | null = null;
    let body: Phrase | null = null;
    let canRetry = false;
    if (session.phase === 'none') {
      heading = phrase('welcome.title');
      body = session.deleted ? phrase('deleted.done', { id: session.deleted }) : phrase('welcome.text');
    } else if (session.phase === 'opening') {
      body = phrase('opening', { id: session.id ?? '' });
    } else if (session.phase === 'failed') {
      const held = session.error.code === 'session_exists';
      heading = phrase(held ? 'held.title' : 'failed.title', { id: session.id ?? '' });
      body = held ? phrase('held.text') : session.invited && session.error.code === 'unauthorized' ? phrase('invite.invalid') : explain(session.error);
      canRetry = session.error.retryable;
    } else if (session.phase === 'ended') {
      heading = phrase('ended.title', { id: session.id });
      body = explain(session.error);
    }
    notice.hidden = session.phase === 'open';
    title.hidden = heading === null;
    title.textContent = heading ? t(heading) : '';
    text.textContent = body ? t(body) : '';
    another.hidden = session.phase !== 'failed' && session.phase !== 'ended';
    another.textContent = t('action.another');
    retry.hidden = !canRetry;
    retry.textContent = t('action.retry');
  }

  function renderList(): void {
    const session = active.get();
    const b = bound;
    list.hidden = !b;
    jump.hidden = true;
    listState.hidden = true;
    list.setAttribute('aria-label', t('messages.list'));
    if (!b || session.phase !== 'open') return;
    const { window } = b.history;
    const atEnd = window.atLatest && b.view.atBottom();
    if (atEnd) b.unread = 0;
    jump.hidden = !window.loaded || atEnd;
    jump.textContent = b.unread > 0 ? t('messages.jumpNew', { count: b.unread }) : t('messages.jump');
    const state: Phrase | null = loadError ?? (!window.loaded ? phrase('messages.loading') : b.view.isEmpty ? phrase(session.created ? 'note.created' : 'messages.empty', { id: session.id }) : null);
    listState.hidden = state === null;
    listState.textContent = state ? t(state) : '';
    if (state?.key === 'note.created') listState.textContent += ` ${t('messages.empty')}`;
  }

  function onMessage(b: Bound, message: ReceivedMessage, sessionId: string): void {
    if (message.own && message.id) b.mine.add(message.id);
    // Away from the newest message (scrolled up, or the tab hidden): this one is counted and marked as new.
    const away = !message.own && (!b.history.window.atLatest || !b.view.atBottom() || document.hidden);
    if (!b.history.message(message) || message.own) return showPending();
    notifier.incoming(sessionId, message.body);
    if (!away) return;
    b.unread++;
    if (b.view.newMarkedAt === null) b.view.markNew(message.seq);
    renderList();
  }

  function bind(session: Extract<ActiveSession, { phase: 'open' }>): void {
    const { client, id } = session;
    const ownIds = mine(id);
    const view = new HistoryView(list, (m) => ownIds.has(m.id));
    view.clear();
    loadError = null;
    const history = new SessionHistory({
      fetchPage: (options) => client.history(options),
      view,
      onChange: renderList,
      onError: (err) => {
        loadError = phrase('err.history', { reason: explain(err) });
        renderList();
      },
    });
    const b: Bound = { client, history, view, mine: ownIds, unread: 0, off: [] };
    bound = b;
    b.off.push(
      client.on('message', (message) => onMessage(b, message, id)),
      client.on('state', (state) => {
        if (state.status !== 'open') return;
        loadError = null;
        history.ready(state.lastSeq);
        showPending();
      }),
      client.on('reset', () => {
        history.reset();
        b.unread = 0;
      }),
      client.on('error', (error) => {
        // A message the server refused: said once, in words, with what happens next.
        if (error.messageId || error.code === 'rate_limited' || error.code === 'storage_unavailable') toasts.show(phrase('err.refused', { reason: explain(error) }), 'warning');
      }),
    );
    notifier.announce(t(session.created ? 'note.created' : 'note.rejoined', { id }));
    showPending();
  }

  function unbind(): void {
    if (!bound) return;
    bound.off.forEach((off) => off());
    bound.history.close();
    bound.view.clear();
    bound = null;
  }

  const tracked = new WeakSet<Promise<unknown>>();
  function showPending(): void {
    const b = bound;
    if (!b) return;
    const pending = b.client.pending();
    for (const p of pending) {
      if (tracked.has(p.acknowledged)) continue;
      tracked.add(p.acknowledged);
      p.acknowledged.then(showPending, showPending);
    }
    if (pending.length > 0) {
      b.view.markNew(null);
      if (b.history.loaded && !b.history.window.atLatest) void b.history.jump();
    }
    b.view.setPending(pending);
    renderList();
  }

  d.add(
    active.subscribe((session) => {
      if (session.phase !== 'open' || bound?.client !== session.client) {
        unbind();
        if (session.phase === 'open') bind(session);
      }
      renderNotice(session);
      renderList();
      if (session.phase === 'failed' || session.phase === 'ended') another.focus();
    }),
  );
  d.add(
    language.subscribe(() => {
      renderNotice(active.get());
      bound?.view.relabel();
      renderList();
    }, false),
  );
  d.on(list, 'scroll', () => bound?.history.check());
  d.on(jump, 'click', () => {
    const b = bound;
    if (!b) return;
    if (b.history.window.atLatest) b.view.scrollToEnd();
    else void b.history.jump();
    b.unread = 0;
    renderList();
    focusComposer();
  });
  d.on(another, 'click', () => panel.set('sessions'));
  d.on(retry, 'click', () => {
    const session = active.get();
    if (session.phase === 'failed') void router.go(session.id ?? undefined);
  });

  return {
    showPending,
    openMessage(seq) {
      const b = bound;
      if (!b) return;
      if (b.history.window.items.some((m) => m.seq === seq)) b.view.highlight(seq);
      else void b.history.jump(seq);
      renderList();
    },
    destroy() {
      unbind();
      d.destroy();
    },
  };
}
