import './styles.scss';
import { SESSION_ID_RULE, isValidSessionId } from '../../protocol/session-id.js';
import { ApiError, fetchHistory, registerSession } from './api.js';
import { Conversation } from './conversation.js';
import { SessionSocket } from './session-socket.js';
import { clearMessages, elements, showMessages, showSessionError, showSessionInfo, showState } from './view.js';

/** The session this browser last used; its token lives in an HttpOnly cookie. */
const STORAGE_KEY = 'websocket-session.current';

let socket: SessionSocket | null = null;
let conversation: Conversation | null = null;

function clientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function explain(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'session_exists') return `${err.message}.`;
    if (err.status === 401) return 'This browser does not hold the token of that session. Register it first (or pick another ID).';
    if (err.status === 404) return 'No session with that ID. Register it first.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The ID typed in the form, or an error shown to the user and null. */
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

async function connect(id: string): Promise<void> {
  socket?.close();
  socket = null;
  showSessionError(null);
  clearMessages();
  showState({ kind: 'connecting' });
  const current = new Conversation(id);
  conversation = current;
  try {
    const page = await fetchHistory(id);
    if (conversation !== current) return;
    showMessages(current.addHistory(page.messages));
  } catch (err) {
    if (conversation !== current) return;
    showState({ kind: 'error', reason: 'not connected' });
    showSessionError(explain(err));
    return;
  }
  localStorage.setItem(STORAGE_KEY, id);
  showSessionInfo(`Session ${id}.`);
  socket = new SessionSocket(id, {
    onState: showState,
    onEcho: (frame) => {
      if (current.add(frame)) showMessages([frame]);
    },
    onReady: () => undefined,
    onServerError: (frame) => showSessionError(frame.message),
  });
  socket.open(current.lastSeq);
}

function send(): void {
  const text = elements.message.value;
  if (text === '' || !socket) return;
  if (socket.send({ type: 'send', id: clientMessageId(), text })) {
    elements.message.value = '';
    elements.message.focus();
  }
}

elements.sessionForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void register();
});
elements.connect.addEventListener('click', () => {
  const id = typedSessionId({ allowEmpty: false });
  if (id) void connect(id);
});
elements.disconnect.addEventListener('click', () => {
  socket?.close();
  socket = null;
});
elements.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});

// A reload keeps the session: reconnect to it and show its history.
const saved = localStorage.getItem(STORAGE_KEY);
if (saved && isValidSessionId(saved)) {
  elements.sessionId.value = saved;
  void connect(saved);
} else {
  showState({ kind: 'disconnected' });
}
