import { h } from '../core/dom.js';
import { language, t } from '../i18n.js';
import type { ShownMessage } from './history-window.js';
import { messageItem, relabelItem } from './message.js';

/** Within this many pixels of an end, the next page is loaded. */
const PAGE_EDGE_PX = 240;
/** Within this many pixels of the bottom, the reader is at the bottom: new messages keep it there. */
const BOTTOM_PX = 24;

const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

let formats: { lang: string; time: Intl.DateTimeFormat; full: Intl.DateTimeFormat; day: Intl.DateTimeFormat; relative: Intl.RelativeTimeFormat } | undefined;
/** Date formats of the current language, made once per language. */
function format() {
  const lang = language.get();
  if (formats?.lang !== lang) {
    formats = {
      lang,
      time: new Intl.DateTimeFormat(lang, { timeStyle: 'short' }),
      full: new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'medium' }),
      day: new Intl.DateTimeFormat(lang, { dateStyle: 'full' }),
      relative: new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }),
    };
  }
  return formats;
}

/** "Today", "Yesterday", or the full local date; capitalised alike in every language (it starts a line). */
export function dayLabel(date: Date): string {
  const days = Math.round((new Date(date).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 86_400_000);
  const word = days < -1 || days > 0 ? format().day.format(date) : format().relative.format(days, 'day');
  return word.charAt(0).toLocaleUpperCase(language.get()) + word.slice(1);
}

/** Date and time for a search result or a tooltip, in the current language. */
export const fullTime = (at: string) => format().full.format(new Date(at));

/**
 * The message list: renders a window of messages with a separator before
 * each new local day and a "New messages" divider, keeps the reader's place
 * when pages come and go above or below, and keeps the pending messages last.
 */
export class HistoryView {
  readonly #bySeq = new Map<number, HTMLLIElement>();
  /** Day separators, by the seq of the message they come before. */
  readonly #separators = new Map<number, HTMLLIElement>();
  readonly #divider = h('li', { class: 'new-divider', 'aria-hidden': 'true' }, h('span'));
  #dividerSeq: number | null = null;
  #renderedVersion = -1;

  /** Whether a message was sent by this tab. */
  readonly #isMine: (message: ShownMessage) => boolean;

  constructor(
    readonly list: HTMLOListElement,
    isMine: (message: ShownMessage) => boolean,
  ) {
    this.#isMine = isMine;
  }

  nearTop(): boolean {
    return this.list.scrollTop < PAGE_EDGE_PX;
  }

  nearBottom(): boolean {
    return this.#distanceToBottom() < PAGE_EDGE_PX;
  }

  atBottom(): boolean {
    return this.#distanceToBottom() <= BOTTOM_PX;
  }

  #distanceToBottom(): number {
    const { scrollHeight, scrollTop, clientHeight } = this.list;
    return scrollHeight - scrollTop - clientHeight;
  }

  /** Shows the window; `stick` keeps the list scrolled to its end, otherwise the first visible message stays in place. */
  render(items: readonly ShownMessage[], version: number, stick: boolean): void {
    if (version === this.#renderedVersion) return;
    this.#renderedVersion = version;
    const anchor = stick ? null : this.#firstVisible();
    const anchorTop = anchor?.getBoundingClientRect().top ?? 0;

    const wanted: HTMLLIElement[] = [];
    const seqs = new Set<number>();
    const firsts = new Set<number>();
    let previousDay = '';
    for (const message of items) {
      const date = new Date(message.at);
      const day = dayKey(date);
      seqs.add(message.seq);
      if (day !== previousDay) {
        firsts.add(message.seq);
        wanted.push(this.#separator(message.seq, date));
        previousDay = day;
      }
      if (message.seq === this.#dividerSeq) wanted.push(this.#divider);
      const li = this.#message(message);
      // Screen readers skip the separators: the first message of a day says its day.
      const prefix = li.querySelector('time > span')!;
      const label = firsts.has(message.seq) ? `${dayLabel(date)}, ` : '';
      if (prefix.textContent !== label) prefix.textContent = label;
      wanted.push(li);
    }
    for (const [seq, li] of this.#bySeq) {
      if (seqs.has(seq)) continue;
      li.remove();
      this.#bySeq.delete(seq);
    }
    for (const [seq, li] of this.#separators) {
      if (firsts.has(seq)) continue;
      li.remove();
      this.#separators.delete(seq);
    }
    if (!wanted.includes(this.#divider)) this.#divider.remove();
    // What is left is in order: insert the new nodes around it. Pending items stay after `cursor`.
    let cursor = this.list.firstElementChild;
    for (const node of wanted) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(node, cursor);
    }
    this.#updateFocusable();
    if (stick) this.scrollToEnd();
    else if (anchor?.isConnected) this.list.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
  }

  /** Puts the "New messages" divider before `seq` (null: removes it). */
  markNew(seq: number | null): void {
    this.#dividerSeq = seq;
    this.#divider.firstElementChild!.textContent = t('messages.divider');
    if (seq === null) this.#divider.remove();
    else this.#bySeq.get(seq)?.before(this.#divider);
  }

  get newMarkedAt(): number | null {
    return this.#dividerSeq;
  }

  /** Shows the messages sent and not acknowledged yet, last, in order. */
  setPending(pending: ReadonlyArray<{ id: string; text: string }>): void {
    const stick = this.atBottom();
    for (const li of this.list.querySelectorAll('li.pending')) li.remove();
    for (const message of pending) {
      const li = messageItem(message.text, true);
      li.classList.add('pending');
      li.dataset.pendingId = message.id;
      li.firstElementChild!.append(h('span', { class: 'meta', 'data-t': 'messages.sending' }, t('messages.sending')));
      this.list.append(li);
    }
    this.#updateFocusable();
    if (stick || pending.length > 0) this.scrollToEnd();
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Marks a message (opened from search), scrolls it to the middle and moves the focus to it. */
  highlight(seq: number): void {
    for (const old of this.list.querySelectorAll('.target')) old.classList.remove('target');
    const li = this.#bySeq.get(seq);
    if (!li) return;
    li.classList.add('target');
    li.tabIndex = -1;
    li.scrollIntoView({ block: 'center' });
    li.focus({ preventScroll: true });
  }

  clear(): void {
    this.list.replaceChildren();
    this.#bySeq.clear();
    this.#separators.clear();
    this.#dividerSeq = null;
    this.#renderedVersion = -1;
    this.#updateFocusable();
  }

  get isEmpty(): boolean {
    return this.list.childElementCount === 0;
  }

  /** Writes every text, date and time again (the language changed). */
  relabel(): void {
    for (const li of this.#separators.values()) li.firstElementChild!.textContent = dayLabel(new Date(li.dataset.at!));
    this.#divider.firstElementChild!.textContent = t('messages.divider');
    for (const li of this.list.querySelectorAll<HTMLLIElement>('li.msg')) {
      relabelItem(li);
      const time = li.querySelector('time');
      if (!time) continue;
      this.#labelTime(time);
      const prefix = time.firstElementChild!;
      if (prefix.textContent) prefix.textContent = `${dayLabel(new Date(time.dateTime))}, `;
    }
  }

  #message(message: ShownMessage): HTMLLIElement {
    let li = this.#bySeq.get(message.seq);
    if (!li) {
      li = messageItem(message.body, this.#isMine(message));
      li.dataset.seq = String(message.seq);
      const time = h('time', { class: 'meta', datetime: message.at }, h('span', { class: 'visually-hidden' }), h('span'));
      this.#labelTime(time);
      li.firstElementChild!.append(time);
      this.#bySeq.set(message.seq, li);
    }
    return li;
  }

  #labelTime(time: HTMLTimeElement): void {
    const date = new Date(time.dateTime);
    time.lastElementChild!.textContent = format().time.format(date);
    time.title = format().full.format(date);
  }

  /** Seen, not read (aria-hidden): a list must hold only its items, and the day's first message says its day. */
  #separator(seq: number, date: Date): HTMLLIElement {
    let li = this.#separators.get(seq);
    if (!li) {
      li = h('li', { class: 'day-separator', 'aria-hidden': 'true', 'data-at': date.toISOString() }, h('span', {}, dayLabel(date)));
      this.#separators.set(seq, li);
    }
    return li;
  }

  #firstVisible(): HTMLElement | null {
    const top = this.list.getBoundingClientRect().top;
    for (const li of this.list.children) {
      if ((li as HTMLElement).dataset.seq !== undefined && li.getBoundingClientRect().bottom > top) return li as HTMLElement;
    }
    return null;
  }

  /** The list is a tab stop (to scroll it by keyboard) only when it has something to scroll through. */
  #updateFocusable(): void {
    if (this.isEmpty) this.list.removeAttribute('tabindex');
    else this.list.tabIndex = 0;
  }
}
