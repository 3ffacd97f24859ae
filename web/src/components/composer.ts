import { sendFrame, utf8Length, type SessionClient } from '../../../client/src/index.js';
import { h, icon, ICONS } from '../core/dom.js';
import type { Store } from '../core/store.js';
import { explain } from '../errors.js';
import { language, phrase, t, type Phrase } from '../i18n.js';
import { drafts } from '../session/local.js';
import type { ActiveSession } from '../session/sessions.js';
import { disposer, type Component } from './types.js';

/** What a message's frame takes beyond its text: the JSON around it with a 32-digit client id. */
const FRAME_OVERHEAD = utf8Length(sendFrame('0'.repeat(32), ''));
/** The counter shows from this share of the limit on: below it, it would only be noise. */
const COUNTER_FROM = 0.8;
/** The box grows with its text up to this share of the window's height, then scrolls. */
const MAX_HEIGHT = 0.4;

/** The text's size as the server counts it (its part of the frame, JSON escapes included), in bytes. */
export const textBytes = (text: string) => utf8Length(sendFrame('', text)) - utf8Length(sendFrame('', ''));

export interface Composer extends Component {
  focus(): void;
}

export interface ComposerDeps {
  active: Store<ActiveSession>;
  /** After a message was handed to the client: the list shows it as pending. */
  onSent(): void;
}

/**
 * The message box, pinned under the list while a session is open: Enter (or
 * Ctrl+Enter) sends, Shift+Enter adds a line; it grows with its text up to a
 * cap; a draft is kept per session; a blank message is not sent; near the
 * server's limit a counter shows the text's size against it, and a message
 * over it is refused before it is sent.
 */
export function createComposer(root: HTMLFormElement, { active, onSent }: ComposerDeps): Composer {
  const d = disposer();
  const label = h('label', { class: 'visually-hidden', for: 'message' });
  const box = h('textarea', { id: 'message', class: 'form-control', rows: 1, autocomplete: 'off', 'aria-describedby': 'composer-hint composer-counter composer-error', 'aria-keyshortcuts': 'Enter Control+Enter' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary send' }, icon(ICONS.send), h('span', { class: 'send-label' }));
  const hint = h('span', { id: 'composer-hint', class: 'hint' });
  const counter = h('span', { id: 'composer-counter', class: 'ms-auto' });
  const error = h('div', { id: 'composer-error', class: 'alert alert-danger py-1 px-2 mb-1 small', role: 'alert', hidden: true });
  root.replaceChildren(label, error, h('div', { class: 'd-flex gap-2 align-items-end' }, box, send), h('div', { class: 'd-flex gap-2 form-text mt-1' }, hint, counter));
  root.noValidate = true;
  let client: SessionClient | null = null;
  let sessionId: string | null = null;
  let problem: Phrase | null = null;

  /** The text's limit: the server's frame limit less the frame around the text; null until the connection says it. */
  const limit = () => {
    const session = active.get();
    return session.phase === 'open' && session.connection.status === 'open' ? session.connection.maxMessageBytes - FRAME_OVERHEAD : null;
  };

  function render(): void {
    const max = limit();
    const bytes = textBytes(box.value);
    const over = max !== null && bytes > max;
    label.textContent = t('composer.label');
    box.placeholder = t('composer.placeholder');
    send.lastElementChild!.textContent = t('composer.send');
    send.disabled = box.value.trim() === '';
    hint.textContent = t('composer.hint');
    counter.hidden = max === null || bytes < max * COUNTER_FROM;
    counter.textContent = max === null ? '' : t('composer.count', { bytes, max });
    counter.classList.toggle('text-danger', over);
    box.setAttribute('aria-invalid', String(over));
    if (problem?.key === 'composer.tooLong' && !over) problem = null;
    error.hidden = problem === null;
    error.textContent = problem ? t(problem) : '';
  }

  function grow(): void {
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight + 2, Math.round(innerHeight * MAX_HEIGHT))}px`;
  }

  function submit(): void {
    const text = box.value;
    if (!client || text.trim() === '') return;
    const max = limit();
    const bytes = textBytes(text);
    if (max !== null && bytes > max) {
      problem = phrase('composer.tooLong', { bytes, max, over: bytes - max });
      render();
      return box.focus();
    }
    problem = null;
    client.send(text).catch((err: unknown) => {
      // Refused for good (too big for the server, the session gone): the text comes back to be fixed.
      problem = phrase('err.refused', { reason: explain(err) });
      if (box.value === '') box.value = text;
      onInput();
    });
    box.value = '';
    onInput();
    onSent();
    box.focus();
  }

  function onInput(): void {
    if (sessionId) drafts.set(sessionId, box.value);
    grow();
    render();
  }

  d.on(box, 'keydown', (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.altKey) return;
    event.preventDefault();
    submit();
  });
  d.on(box, 'input', onInput);
  d.on(root, 'submit', (event) => {
    event.preventDefault();
    submit();
  });
  d.add(
    active.subscribe((session) => {
      const open = session.phase === 'open';
      root.hidden = !open;
      const next = open ? session.client : null;
      if (next !== client) {
        client = next;
        sessionId = open ? session.id : null;
        problem = null;
        box.value = sessionId ? drafts.get(sessionId) : '';
        grow();
        if (open) box.focus();
      }
      render();
    }),
  );
  d.add(language.subscribe(render, false));
  return { focus: () => box.focus(), destroy: d.destroy };
}
