import './styles.scss';
import { SESSION_ID_RULE, isValidSessionId } from '../../protocol/session-id.js';
import type { EchoFrame, ReadyFrame } from '../../protocol/wire.js';
import { ApiError, fetchHistory, registerSession } from './api.js';
import { Conversation } from './conversation.js';
import { Outbox } from './outbox.js';
import { SessionLink, type LinkState, type ProbeResult } from './session-link.js';
import {
  clearMessages, elements, removePending, showMessages, showPending, showSessionError, showSessionInfo, showState,
} from './view.js';

/** The session this browser last used; its token lives in an HttpOnly cookie. */
const STORAGE_KEY = 'websocket-session.current';

/** The open session of this page. */
interface ActiveSession {
  id: string;
  conversation: Conversation;
  outbox: Outbox;
  link: SessionLink;
  /** False until the first page of history is in; until then connects ask for no replay. */
  historyLoaded: boolean;
}

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

function clientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function explain(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'This browser does not hold the token of that session. Register it first (or pick another ID).';
    if (err.status === 404) return 'No session with that ID. Register it first.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Why a connection attempt failed: a refused upgrade (401/404) is final, an unreachable server is not. */
async function probe(id: string): Promise<ProbeResult> {
  try {
    await fetchHistory(id, { limit: 1 });
    return { retry: true };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return { retry: false, reason: explain(err) };
    return { retry: true };
  }
}

/** The ID typed in the form, or null after showing why it is not valid. */
function typedSessionId({ allowEmpty }: { allowEmpty: boolean }): string | null | undefined {
  const id = elements.sessionId.value.trim();
  if (id === '' && allowEmpty) return undefined;
  if (!isValidSessionId(id)) {
    showSessionError(id === '' ? 'Type a session ID first.' : `Invalid session ID: ${SESSION_ID_RULE}.`);
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
    showSessionInfo(`Session ${session.id} is registered to this browser.`);
  } catch (err) {
    showSessionError(explain(err));
  } finally {
    elements.register.disabled = false;
  }
}

/** Loads the newest page of history (after `ready`, so nothing falls between it and the live echoes). */
async function loadHistory(session: ActiveSession): Promise<void> {
  try {
    const page = await fetchHistory(session.id);
    if (active !== session) return;
    for (const message of page.messages) if (session.outbox.acknowledge(message.id)) removePending(message.id!);
    showMessages(session.conversation.addHistory(page.messages));
    session.historyLoaded = true;
  } catch (err) {
    if (active === session) showSessionError(`Could not load the history: ${explain(err)}`);
  }
}

function onEcho(session: ActiveSession, frame: EchoFrame): void {
  if (frame.id !== null && session.outbox.acknowledge(frame.id)) removePending(frame.id);
  if (session.conversation.add(frame)) showMessages([frame]);
}

function onReady(session: ActiveSession, frame: ReadyFrame): void {
  if (session.historyLoaded && frame.lastSeq < session.conversation.lastSeq) {
    // The session was deleted and registered again: what this page shows is gone.
    session.conversation = new Conversation(session.id);
    session.historyLoaded = false;
    clearMessages();
    for (const message of session.outbox.list()) showPending(session.id, message);
  }
  if (!session.historyLoaded) void loadHistory(session);
}

function open(id: string): void {
  close();
  showSessionError(null);
  clearMessages();
  localStorage.setItem(STORAGE_KEY, id);
  showSessionInfo(`Session ${id}.`);
  const conversation = new Conversation(id);
  const outbox = new Outbox(id);
  for (const message of outbox.list()) showPending(id, message);
  const session: ActiveSession = {
    id,
    conversation,
    outbox,
    historyLoaded: false,
    link: new SessionLink({
      sessionId: id,
      cursor: () => (session.historyLoaded ? session.conversation.lastSeq : null),
      pending: () => session.outbox.list(),
      probe: () => probe(id),
      onState: (state) => {
        if (active === session) setLinkState(state);
      },
      onEcho: (frame) => onEcho(session, frame),
      onReady: (frame) => onReady(session, frame),
      onProblem: (message) => showSessionError(message),
    }),
  };
  active = session;
  session.link.start();
}

function close(): void {
  const session = active;
  active = null;
  session?.link.stop();
  setLinkState({ kind: 'disconnected' });
}

function send(): void {
  const text = elements.message.value;
  if (text === '' || !active) return;
  const message = { id: clientMessageId(), text };
  active.outbox.add(message);
  showPending(active.id, message);
  active.link.send(message);
  elements.message.value = '';
  elements.message.focus();
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
elements.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});

// A reload keeps the session: reconnect to it and show its history.
const saved = localStorage.getItem(STORAGE_KEY);
if (saved && isValidSessionId(saved)) {
  elements.sessionId.value = saved;
  open(saved);
} else {
  render();
}
