import { echoText } from '../../protocol/wire.js';
import type { ShownMessage } from './history-window.js';
import { lang, t } from './i18n.js';
import type { PendingMessage } from './outbox.js';

/** Within this many pixels of an end, the list counts as scrolled there. */
const EDGE_PX = 240;

const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

/** Date formats of the current language, made once per language. */
let formats: { lang: string; time: Intl.DateTimeFormat; full: Intl.DateTimeFormat; day: Intl.DateTimeFormat; relative: Intl.RelativeTimeFormat } | undefined;
function format() {
  if (formats?.lang !== lang()) {
    formats = {
      lang: lang(),
      time: new Intl.DateTimeFormat(lang(), { timeStyle: 'short' }),
      full: new Intl.DateTimeFormat(lang(), { dateStyle: 'long', timeStyle: 'medium' }),
      day: new Intl.DateTimeFormat(lang(), { dateStyle: 'full' }),
      relative: new Intl.RelativeTimeFormat(lang(), { numeric: 'auto' }),
    };
  }
  return formats;
}

/** "Today", "Yesterday", or the full local date. */
function dayLabel(date: Date): string {
  const days = Math.round((new Date(date).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 86_400_000);
  if (days < -1 || days > 0) return format().day.format(date);
  const word = format().relative.format(days, 'day');
  return word.charAt(0).toLocaleUpperCase(lang()) + word.slice(1);
}

function item(text: string): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'list-group-item d-flex justify-content-between align-items-start gap-3';
  const body = document.createElement('span');
  body.className = 'message-text';
  body.textContent = text; // never innerHTML: message text is user data
  li.append(body);
  return li;
}

/**
 * The message list: renders a window of messages with a separator before
 * each new local day, keeps the reader's place when pages come and go above
 * or below, and keeps the pending messages last.
 */
export class HistoryView {
  private readonly bySeq = new Map<number, HTMLLIElement>();
  /** Day separators, by the seq of the message they come before. */
  private readonly separators = new Map<number, HTMLLIElement>();
  private renderedVersion = -1;

  constructor(
    readonly list: HTMLOListElement,
    private readonly empty: HTMLElement,
    private readonly jump: HTMLButtonElement,
  ) {}

  nearTop(): boolean {
    return this.list.scrollTop < EDGE_PX;
  }

  nearBottom(): boolean {
    const { scrollHeight, scrollTop, clientHeight } = this.list;
    return scrollHeight - scrollTop - clientHeight < EDGE_PX;
  }

  /** Shows the window; `stick` keeps the list scrolled to its end, otherwise the first visible message stays in place. */
  render(items: readonly ShownMessage[], version: number, stick: boolean): void {
    if (version === this.renderedVersion) return;
    this.renderedVersion = version;
    const anchor = stick ? null : this.firstVisible();
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
        wanted.push(this.separator(message.seq, date));
        previousDay = day;
      }
      const li = this.message(message);
      // Screen readers skip the separators: the first message of a day says its day.
      const prefix = li.lastElementChild!.firstElementChild!; // <time><span class="visually-hidden">
      const label = firsts.has(message.seq) ? `${dayLabel(date)}, ` : '';
      if (prefix.textContent !== label) prefix.textContent = label;
      wanted.push(li);
    }
    for (const [seq, li] of this.bySeq) {
      if (seqs.has(seq)) continue;
      li.remove();
      this.bySeq.delete(seq);
    }
    for (const [seq, li] of this.separators) {
      if (firsts.has(seq)) continue;
      li.remove();
      this.separators.delete(seq);
    }
    // What is left is in order: insert the new nodes around it. Pending items stay after `cursor`.
    let cursor = this.list.firstElementChild;
    for (const node of wanted) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(node, cursor);
    }
    this.updateEmpty();
    if (stick) this.scrollToEnd();
    else if (anchor?.isConnected) this.list.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
  }

  /** Shows the jump-to-latest button unless the newest message is in view. */
  updateJump(atLatest: boolean, loaded: boolean): void {
    this.jump.hidden = !loaded || (atLatest && this.nearBottom());
  }

  scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Marks a message (opened from search), scrolls it to the middle and moves the focus to it. */
  highlight(seq: number): void {
    for (const old of this.list.querySelectorAll('.message-target')) old.classList.remove('message-target');
    const li = this.bySeq.get(seq);
    if (!li) return;
    li.classList.add('message-target');
    li.tabIndex = -1;
    li.scrollIntoView({ block: 'center' });
    li.focus({ preventScroll: true });
  }

  addPending(sessionId: string, message: PendingMessage): void {
    const li = item(echoText(sessionId, message.text));
    const label = document.createElement('span');
    label.className = 'small text-nowrap';
    label.textContent = t('messages.sending');
    li.append(label);
    li.classList.add('pending', 'text-body-secondary', 'fst-italic');
    li.dataset.pendingId = message.id;
    this.list.append(li);
    this.updateEmpty();
    this.scrollToEnd();
  }

  removePending(id: string): void {
    for (const li of this.list.querySelectorAll<HTMLElement>('li.pending')) if (li.dataset.pendingId === id) li.remove();
    this.updateEmpty();
  }

  clear(): void {
    this.list.replaceChildren();
    this.bySeq.clear();
    this.separators.clear();
    this.renderedVersion = -1;
    this.updateEmpty();
  }

  /** Writes every date and time again (the language changed). */
  relabel(): void {
    for (const li of this.separators.values()) li.firstElementChild!.textContent = dayLabel(new Date(li.dataset.at!));
    for (const li of this.bySeq.values()) {
      const time = li.querySelector('time')!;
      this.labelTime(time);
      const prefix = time.firstElementChild!;
      if (prefix.textContent) prefix.textContent = `${dayLabel(new Date(time.dateTime))}, `;
    }
    for (const label of this.list.querySelectorAll('li.pending > span.small')) label.textContent = t('messages.sending');
  }

  private message(message: ShownMessage): HTMLLIElement {
    let li = this.bySeq.get(message.seq);
    if (!li) {
      li = item(message.text);
      li.dataset.seq = String(message.seq);
      const time = document.createElement('time');
      time.className = 'small text-nowrap text-body-secondary';
      time.dateTime = message.at;
      const prefix = document.createElement('span');
      prefix.className = 'visually-hidden';
      time.append(prefix, document.createElement('span'));
      this.labelTime(time);
      li.append(time);
      this.bySeq.set(message.seq, li);
    }
    return li;
  }

  private labelTime(time: HTMLTimeElement): void {
    const date = new Date(time.dateTime);
    time.lastElementChild!.textContent = format().time.format(date);
    time.title = format().full.format(date);
  }

  /** Seen, not read (aria-hidden): a list must hold only its items, and the day's first message says its day. */
  private separator(seq: number, date: Date): HTMLLIElement {
    let li = this.separators.get(seq);
    if (!li) {
      li = document.createElement('li');
      li.className = 'day-separator';
      li.setAttribute('aria-hidden', 'true');
      li.dataset.at = date.toISOString();
      li.append(document.createElement('span'));
      li.firstElementChild!.textContent = dayLabel(date);
      this.separators.set(seq, li);
    }
    return li;
  }

  private firstVisible(): HTMLElement | null {
    const top = this.list.getBoundingClientRect().top;
    for (const li of this.list.children) {
      if ((li as HTMLElement).dataset.seq !== undefined && li.getBoundingClientRect().bottom > top) return li as HTMLElement;
    }
    return null;
  }

  private updateEmpty(): void {
    this.empty.hidden = this.list.childElementCount > 0;
  }
}
