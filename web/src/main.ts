import './styles.scss';
import { isValidSessionId } from '../../protocol/session-id.js';
import type { EchoFrame, ErrorFrame, ReadyFrame } from '../../protocol/wire.js';
import { ApiError, fetchHistory, registerSession } from './api.js';
import { CLIENT_ID_LENGTH, Composer, tooLong } from './composer.js';
import { explain } from './errors.js';
import { SessionHistory } from './history.js';
import { HistoryView } from './history-view.js';
import { phrase } from './i18n.js';
import { incoming, initNotifications } from './notify.js';
import { Outbox } from './outbox.js';
import { initPreferences } from './preferences.js';
import { initSearch, setSearchSession } from './search.js';
import { initSessionActions, setActionsSession } from './session-actions.js';
import { SessionLink, type LinkState, type ProbeResult } from './session-link.js';
import { toast } from './toasts.js';
import { elements, refreshSlots, showMessageError, showSessionError, showSessionInfo, showState } from './view.js';

/** The session this browser last used; its token lives in an HttpOnly cookie. */
const STORAGE_KEY = 'websocket-session.current';

/** The open session of this page. */
interface ActiveSession {
  id: string;
  outbox: Outbox;
  link: SessionLink;
  history: SessionHistory;
  /** Set while this page deletes the session: its socket closing then is expected. */
  deleting: boolean;
  everConnected: boolean;
}

const view = new HistoryView(elements.messages, elements.messagesEmpty, elements.jump);
const composer = new Composer(send);
let active: ActiveSession | null = null;
let linkState: LinkState = { kind: 'disconnected' };
let countdown: ReturnType<typeof setInterval> | undefined;

function render(): void {
  showState(linkState, active !== null);
}

function setLinkState(state: LinkState): void {
  linkState = state;
  clearInterval(countdown);
  countdown = state.kind === 'reconnecting' ? setInterval(render, 250) : undefined;
  if (state.kind === 'error') showSessionError(state.reason);
  render();
}

/** Toasts for the changes a person should notice: the connection is lost, and it is back. */
function toastChange(session: ActiveSession, state: LinkState): void {
  if (state.kind === 'reconnecting' && linkState.kind === 'connected') toast(phrase('toast.lost'), 'warning');
  if (state.kind !== 'connected') return;
  toast(session.everConnected ? phrase('toast.back') : phrase('toast.connected', { id: session.id }));
  session.everConnected = true;
}

function clientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CLIENT_ID_LENGTH / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Why a connection attempt failed: a refused upgrade (401/404) is final, an unreachable server is not. */
async function probe(id: string): Promise<ProbeResult> {
  try {
    await fetchHistory(id, { limit: 1 });
    return { retry: true };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return { retry: false, reason: explain(err, id) };
    return { retry: true };
  }
}

/** The ID typed in the form, or null after showing why it is not valid. */
function typedSessionId({ allowEmpty }: { allowEmpty: boolean }): string | null | undefined {
  const id = elements.sessionId.value.trim();
  if (id === '' && allowEmpty) return undefined;
  if (!isValidSessionId(id)) {
    showSessionError(id === '' ? phrase('err.idEmpty') : phrase('err.idInvalid', { rule: phrase('err.idRule') }));
    elements.sessionId.focus();
    return null;
  }
  return id;
}

async function register(): Promise<void> {
  const id = typedSessionId({ allowEmpty: true });
  if (id === null) return;
  showSessionError(null);
  elements.register.disabled = true;
  try {
    const session = await registerSession(id);
    elements.sessionId.value = session.id;
    localStorage.setItem(STORAGE_KEY, session.id);
    showSessionInfo(phrase('session.registered', { id: session.id }));
  } catch (err) {
    showSessionError(explain(err, id));
  } finally {
    elements.register.disabled = false;
  }
}

function onEcho(session: ActiveSession, frame: EchoFrame): void {
  const own = frame.id !== null && session.outbox.acknowledge(frame.id);
  if (own) view.removePending(frame.id!);
  if (session.history.echo(frame) && !own) incoming(session.id, frame.text);
}

function onReady(session: ActiveSession, frame: ReadyFrame): void {
  composer.setLimit(frame.maxMessageBytes);
  // A message the server would refuse (close 1009) must not be resent forever.
  for (const message of session.outbox.list()) {
    if (tooLong(message.text, frame.maxMessageBytes)) {
      session.outbox.acknowledge(message.id);
      view.removePending(message.id);
      showMessageError(phrase('composer.dropped', { max: frame.maxMessageBytes, text: message.text.slice(0, 80) }));
    }
  }
  if (!session.history.ready(frame.lastSeq)) {
    // The session was deleted and registered again: what this page showed is gone.
    for (const message of session.outbox.list()) view.addPending(session.id, message);
  }
}

/** The session's history was replaced (a restore, the ID registered anew): what this page shows is gone. */
function onReset(session: ActiveSession): void {
  session.history.reset();
  for (const message of session.outbox.list()) view.addPending(session.id, message);
}

function onProblem(frame: ErrorFrame): void {
  const known = { storage_unavailable: 'err.notStored', rate_limited: 'err.rateLimited' } as const;
  const key = known[frame.code as keyof typeof known];
  showMessageError(key ? phrase(key) : phrase('err.refused', { message: frame.message }));
}

function open(id: string): void {
  close();
  showSessionError(null);
  showMessageError(null);
  view.clear();
  localStorage.setItem(STORAGE_KEY, id);
  showSessionInfo(phrase('session.open', { id }));
  const outbox = new Outbox(id);
  for (const message of outbox.list()) view.addPending(id, message);
  const history = new SessionHistory({
    sessionId: id,
    view,
    onPage: (messages) => {
      for (const message of messages) if (outbox.acknowledge(message.id)) view.removePending(message.id!);
    },
    onError: (err) => showSessionError(phrase('err.history', { reason: explain(err, id) })),
  });
  const session: ActiveSession = {
    id,
    outbox,
    history,
    deleting: false,
    everConnected: false,
    link: new SessionLink({
      sessionId: id,
      cursor: () => (history.loaded ? history.window.streamSeq : null),
      pending: () => outbox.list(),
      probe: () => probe(id),
      onState: (state) => {
        if (active !== session || session.deleting) return;
        toastChange(session, state);
        setLinkState(state);
      },
      onEcho: (frame) => onEcho(session, frame),
      onReady: (frame) => onReady(session, frame),
      onReset: () => onReset(session),
      onProblem,
    }),
  };
  active = session;
  setSearchSession(id);
  setActionsSession(id);
  session.link.start();
}

function close(): void {
  const session = active;
  active = null;
  session?.history.close();
  session?.link.stop();
  composer.setLimit(null);
  setSearchSession(null);
  setActionsSession(null);
  setLinkState({ kind: 'disconnected' });
}

function send(text: string): boolean {
  if (!active) return false;
  const message = { id: clientMessageId(), text };
  active.outbox.add(message);
  if (!active.history.window.atLatest && active.history.loaded) void active.history.jump();
  view.addPending(active.id, message);
  active.link.send(message);
  return true;
}

/** Shows a message found by search in its place in the history. */
function openMessage(seq: number): void {
  if (!active) return;
  if (active.history.window.items.some((m) => m.seq === seq)) view.highlight(seq);
  else void active.history.jump(seq);
}

elements.sessionForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void register();
});
elements.connect.addEventListener('click', () => {
  const id = typedSessionId({ allowEmpty: false });
  if (id) open(id);
});
elements.disconnect.addEventListener('click', close);
elements.messages.addEventListener('scroll', () => active?.history.check(), { passive: true });
elements.jump.addEventListener('click', () => {
  if (!active) return;
  if (active.history.window.atLatest) view.scrollToEnd();
  else void active.history.jump();
  elements.message.focus();
});

initPreferences(() => {
  refreshSlots();
  render();
  composer.update();
  view.relabel();
});
initNotifications();
initSearch(openMessage);
initSessionActions(
  (id) => {
    if (active?.id === id) active.deleting = true;
  },
  (id) => {
    if (active?.id === id) close();
    new Outbox(id).clear();
    if (localStorage.getItem(STORAGE_KEY) === id) localStorage.removeItem(STORAGE_KEY);
    view.clear();
    showSessionInfo(phrase('delete.done', { id }));
    toast(phrase('delete.done', { id }));
    elements.sessionId.focus();
  },
  (id) => {
    if (active?.id === id) active.deleting = false;
  },
);

// A reload keeps the session: reconnect to it and show its history.
const saved = localStorage.getItem(STORAGE_KEY);
if (saved && isValidSessionId(saved)) {
  elements.sessionId.value = saved;
  open(saved);
} else {
  render();
}
