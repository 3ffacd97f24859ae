import type { ShownMessage } from './conversation.js';
import type { PendingMessage } from './outbox.js';
import type { LinkState } from './session-link.js';

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

const BADGE_CLASS: Record<LinkState['kind'], string> = {
  disconnected: 'text-bg-secondary',
  connecting: 'text-bg-warning',
  connected: 'text-bg-success',
  reconnecting: 'text-bg-warning',
  error: 'text-bg-danger',
};

function stateText(state: LinkState, now: number): string {
  switch (state.kind) {
    case 'error':
      return `error: ${state.reason}`;
    case 'reconnecting':
      return `reconnecting in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s (${state.reason})`;
    default:
      return state.kind;
  }
}

/** Shows the connection state; `active` says whether a session is open for typing. */
export function showState(state: LinkState, active: boolean, now = Date.now()): void {
  const { status, message, send, disconnect } = elements;
  status.className = `badge fs-6 text-wrap ${BADGE_CLASS[state.kind]}`;
  status.textContent = stateText(state, now);
  status.dataset.state = state.kind;
  // Typing goes on while reconnecting: those messages wait as pending.
  message.disabled = !active;
  send.disabled = !active;
  disconnect.disabled = !active;
}

/** Shows (or, with null, hides) an error about the session. */
export function showSessionError(text: string | null): void {
  elements.sessionError.hidden = text === null;
  elements.sessionError.textContent = text ?? '';
}

export function showSessionInfo(text: string | null): void {
  elements.sessionInfo.hidden = text === null;
  elements.sessionInfo.textContent = text ?? '';
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

function messageItem(text: string, label: HTMLElement): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'list-group-item d-flex justify-content-between align-items-start gap-3';
  const body = document.createElement('span');
  body.className = 'message-text';
  body.textContent = text; // never innerHTML: message text is user data
  label.classList.add('small', 'text-nowrap', 'text-body-secondary');
  item.append(body, label);
  return item;
}

function confirmedItem(message: ShownMessage): HTMLLIElement {
  const time = document.createElement('time');
  time.dateTime = message.at;
  time.textContent = timeFormat.format(new Date(message.at));
  const item = messageItem(message.text, time);
  item.dataset.seq = String(message.seq);
  return item;
}

function pendingItem(sessionId: string, message: PendingMessage): HTMLLIElement {
  const label = document.createElement('span');
  label.textContent = 'sending…';
  const item = messageItem(`${sessionId}: ${message.text}`, label);
  item.classList.add('pending', 'text-body-tertiary');
  item.dataset.pendingId = message.id;
  return item;
}

function updateEmpty(): void {
  elements.messagesEmpty.hidden = elements.messages.childElementCount > 0;
}

/** Inserts confirmed messages in seq order, before the pending ones. */
export function showMessages(messages: readonly ShownMessage[]): void {
  const list = elements.messages;
  for (const message of messages) {
    // Walk back from the end past pending items and higher seqs (usually zero steps).
    let after = list.lastElementChild as HTMLElement | null;
    while (after && (after.dataset.pendingId !== undefined || Number(after.dataset.seq) > message.seq)) {
      after = after.previousElementSibling as HTMLElement | null;
    }
    list.insertBefore(confirmedItem(message), after ? after.nextElementSibling : list.firstElementChild);
  }
  updateEmpty();
  list.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

/** Adds a pending message at the end (greyed until its echo). */
export function showPending(sessionId: string, message: PendingMessage): void {
  elements.messages.append(pendingItem(sessionId, message));
  updateEmpty();
  elements.messages.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

export function removePending(id: string): void {
  for (const item of elements.messages.querySelectorAll<HTMLElement>('li.pending')) {
    if (item.dataset.pendingId === id) item.remove();
  }
  updateEmpty();
}

export function clearMessages(): void {
  elements.messages.replaceChildren();
  updateEmpty();
}
