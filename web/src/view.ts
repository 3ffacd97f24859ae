import type { ShownMessage } from './conversation.js';
import type { ConnectionState } from './session-socket.js';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
}

/** The page's elements, found once. */
export const elements = {
  status: byId<HTMLSpanElement>('status'),
  sessionForm: byId<HTMLFormElement>('session-form'),
  sessionId: byId<HTMLInputElement>('session-id'),
  register: byId<HTMLButtonElement>('register'),
  connect: byId<HTMLButtonElement>('connect'),
  disconnect: byId<HTMLButtonElement>('disconnect'),
  sessionError: byId<HTMLDivElement>('session-error'),
  sessionInfo: byId<HTMLParagraphElement>('session-info'),
  messages: byId<HTMLOListElement>('messages'),
  messagesEmpty: byId<HTMLParagraphElement>('messages-empty'),
  messageForm: byId<HTMLFormElement>('message-form'),
  message: byId<HTMLInputElement>('message'),
  send: byId<HTMLButtonElement>('send'),
};

const BADGE_CLASS: Record<ConnectionState['kind'], string> = {
  disconnected: 'text-bg-secondary',
  connecting: 'text-bg-warning',
  connected: 'text-bg-success',
  error: 'text-bg-danger',
};

export function showState(state: ConnectionState): void {
  const { status, message, send, disconnect } = elements;
  status.className = `badge fs-6 ${BADGE_CLASS[state.kind]}`;
  status.textContent = state.kind === 'error' ? `error: ${state.reason}` : state.kind;
  status.dataset.state = state.kind;
  const connected = state.kind === 'connected';
  message.disabled = !connected;
  send.disabled = !connected;
  disconnect.disabled = state.kind === 'disconnected' || state.kind === 'error';
}

/** Shows (or, with null, hides) an error about the session form. */
export function showSessionError(text: string | null): void {
  elements.sessionError.hidden = text === null;
  elements.sessionError.textContent = text ?? '';
}

export function showSessionInfo(text: string | null): void {
  elements.sessionInfo.hidden = text === null;
  elements.sessionInfo.textContent = text ?? '';
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

function messageItem(message: ShownMessage): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'list-group-item d-flex justify-content-between align-items-start gap-3';
  item.dataset.seq = String(message.seq);
  const text = document.createElement('span');
  text.className = 'message-text';
  text.textContent = message.text; // never innerHTML: message text is user data
  const time = document.createElement('time');
  time.className = 'text-body-secondary small text-nowrap';
  time.dateTime = message.at;
  time.textContent = timeFormat.format(new Date(message.at));
  item.append(text, time);
  return item;
}

/** Inserts messages in seq order (usually at the end). */
export function showMessages(messages: readonly ShownMessage[]): void {
  const list = elements.messages;
  for (const message of messages) {
    const item = messageItem(message);
    let next = list.lastElementChild as HTMLElement | null;
    while (next && Number(next.dataset.seq) > message.seq) next = next.previousElementSibling as HTMLElement | null;
    list.insertBefore(item, next ? next.nextElementSibling : list.firstElementChild);
  }
  elements.messagesEmpty.hidden = list.childElementCount > 0;
  list.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

export function clearMessages(): void {
  elements.messages.replaceChildren();
  elements.messagesEmpty.hidden = false;
}
