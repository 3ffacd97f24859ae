import { t, type Phrase } from './i18n.js';
import type { LinkState } from './session-link.js';

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
}

/** The page's elements, found once. */
export const elements = {
  status: byId<HTMLSpanElement>('status'),
  language: byId<HTMLSelectElement>('language'),
  theme: byId<HTMLSelectElement>('theme'),
  notify: byId<HTMLButtonElement>('notify'),
  sessionForm: byId<HTMLFormElement>('session-form'),
  sessionId: byId<HTMLInputElement>('session-id'),
  register: byId<HTMLButtonElement>('register'),
  connect: byId<HTMLButtonElement>('connect'),
  disconnect: byId<HTMLButtonElement>('disconnect'),
  sessionError: byId<HTMLDivElement>('session-error'),
  sessionInfo: byId<HTMLParagraphElement>('session-info'),
  sessionActions: byId<HTMLDivElement>('session-actions'),
  messages: byId<HTMLOListElement>('messages'),
  messagesEmpty: byId<HTMLParagraphElement>('messages-empty'),
  jump: byId<HTMLButtonElement>('jump'),
  messageForm: byId<HTMLFormElement>('message-form'),
  message: byId<HTMLTextAreaElement>('message'),
  counter: byId<HTMLDivElement>('message-counter'),
  messageError: byId<HTMLDivElement>('message-error'),
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
      return t('status.error', { reason: t(state.reason) });
    case 'reconnecting':
      return t('status.reconnecting', { s: String(Math.max(0, Math.ceil((state.retryAt - now) / 1000))), reason: t(state.reason) });
    default:
      return t(`status.${state.kind}`);
  }
}

/** Shows the connection state; `active` says whether a session is open for typing. */
export function showState(state: LinkState, active: boolean, now = Date.now()): void {
  const { status, message, send, disconnect, sessionActions } = elements;
  status.className = `badge fs-6 text-wrap ${BADGE_CLASS[state.kind]}`;
  status.textContent = stateText(state, now);
  status.dataset.state = state.kind;
  // Typing goes on while reconnecting: those messages wait as pending.
  message.disabled = !active;
  send.disabled = !active;
  disconnect.disabled = !active;
  sessionActions.hidden = !active;
}

/** A text element that shows a phrase (again, in the new language, after a switch) or hides (a live region only empties). */
export function phraseSlot(element: HTMLElement, hide = true): (text: Phrase | null) => void {
  let current: Phrase | null = null;
  const show = (text: Phrase | null) => {
    current = text;
    if (hide) element.hidden = text === null;
    element.textContent = text ? t(text) : '';
  };
  slots.push(() => show(current));
  return show;
}

const slots: Array<() => void> = [];

/** Shows every phrase slot again (after a language switch). */
export const refreshSlots = () => slots.forEach((refresh) => refresh());

export const showSessionError = phraseSlot(elements.sessionError);
export const showSessionInfo = phraseSlot(elements.sessionInfo);
export const showMessageError = phraseSlot(elements.messageError);
