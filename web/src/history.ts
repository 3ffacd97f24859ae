import type { EchoFrame, HistoryMessage } from '../../protocol/wire.js';
import { fetchHistory } from './api.js';
import { HistoryWindow, type PageRequest } from './history-window.js';
import type { HistoryView } from './history-view.js';

export interface SessionHistoryOptions {
  sessionId: string;
  view: HistoryView;
  /** Every page that arrives (its client ids acknowledge pending messages). */
  onPage(messages: readonly HistoryMessage[]): void;
  onError(err: unknown): void;
}

/**
 * One session's history on the page: pages older messages in as the list
 * scrolls up and newer ones as it scrolls down (the window stays bounded),
 * takes the live echoes while the newest message is in the window, and
 * jumps to the newest page or to a message (from search).
 */
export class SessionHistory {
  readonly window = new HistoryWindow();
  private busy = false;
  private jumps = 0;
  private closed = false;

  constructor(private readonly options: SessionHistoryOptions) {}

  get loaded(): boolean {
    return this.window.loaded;
  }

  close(): void {
    this.closed = true;
  }

  /** Drops everything shown (the history was replaced); the next ready frame loads the newest page. */
  reset(): void {
    this.jumps++; // a page on its way belongs to the old history
    this.window.reset();
    this.options.view.clear();
  }

  /** A ready frame: loads the newest page the first time; false when the session was made anew (all is reset). */
  ready(lastSeq: number): boolean {
    const same = this.window.ready(lastSeq);
    if (!same) {
      this.window.reset();
      this.window.ready(lastSeq);
      this.options.view.clear();
    }
    if (!this.window.loaded) void this.jump();
    return same;
  }

  /** A live echo; true when it is news to this page. */
  echo(frame: EchoFrame): boolean {
    const { view } = this.options;
    const stick = this.window.atLatest && view.nearBottom();
    const isNew = this.window.echo(frame);
    // Reading the end: the oldest go. Reading further up: the newest go (and the jump button shows).
    if (stick) this.window.trimTop();
    else this.window.trimBottom();
    this.render(stick);
    return isNew;
  }

  /** Replaces the window with the newest page (`seq` omitted) or the page around `seq`, which is then highlighted. */
  async jump(seq?: number): Promise<void> {
    const mine = ++this.jumps;
    const request = this.window.jumpRequest(seq);
    const page = await this.fetch(request);
    if (!page || mine !== this.jumps || this.closed) return;
    this.window.applyJump(request, page);
    this.render(seq === undefined);
    if (seq !== undefined) this.options.view.highlight(seq);
    else this.options.view.scrollToEnd();
    this.check();
  }

  /** Loads a page if the list is scrolled near an end that has more; call on scroll. */
  check(): void {
    const { view } = this.options;
    view.updateJump(this.window.atLatest, this.window.loaded);
    if (this.busy || this.closed) return;
    const older = view.nearTop() ? this.window.olderRequest() : null;
    const newer = !older && view.nearBottom() ? this.window.newerRequest() : null;
    const request = older ?? newer;
    if (!request) return;
    this.busy = true;
    view.list.setAttribute('aria-busy', 'true');
    void this.fetch(request).then((page) => {
      this.busy = false;
      view.list.removeAttribute('aria-busy');
      if (!page || this.closed) return;
      const applied = older ? this.window.applyOlder(request, page) : this.window.applyNewer(request, page);
      if (applied) this.render(false);
      // Still near an end (a fast scroll, or a short page): go on.
      requestAnimationFrame(() => this.check());
    });
  }

  private render(stick: boolean): void {
    this.options.view.render(this.window.items, this.window.version, stick);
    this.options.view.updateJump(this.window.atLatest, this.window.loaded);
  }

  private async fetch(request: PageRequest) {
    const before = Number.isFinite(request.before) ? request.before : undefined;
    try {
      const page = await fetchHistory(this.options.sessionId, { before, limit: this.window.pageSize });
      if (!this.closed) this.options.onPage(page.messages);
      return { messages: page.messages.map(({ seq, text, at }) => ({ seq, text, at })), hasMore: page.hasMore };
    } catch (err) {
      if (!this.closed) this.options.onError(err);
      return null;
    }
  }
}
