import type { HistoryPage } from '../../../client/src/index.js';
import { HistoryWindow, type PageRequest, type ShownMessage } from './history-window.js';
import type { HistoryView } from './history-view.js';

export interface SessionHistoryDeps {
  /** A page of history, as the client's `history()` answers it. */
  fetchPage(options: { before?: number; limit: number }): Promise<HistoryPage>;
  view: HistoryView;
  /** After every change of what is shown (the jump button and the empty state follow it). */
  onChange(): void;
  onError(err: unknown): void;
}

/**
 * One session's history on the page: pages older messages in as the list
 * scrolls up and newer ones as it scrolls down (the window stays bounded),
 * takes the live messages while the newest is in the window, and jumps to
 * the newest page or to a message (from search).
 */
export class SessionHistory {
  readonly window = new HistoryWindow();
  #busy = false;
  #jumps = 0;
  #closed = false;

  readonly #deps: SessionHistoryDeps;

  constructor(deps: SessionHistoryDeps) {
    this.#deps = deps;
  }

  get loaded(): boolean {
    return this.window.loaded;
  }

  close(): void {
    this.#closed = true;
  }

  /** The connection is ready: loads the newest page the first time. */
  ready(lastSeq: number): void {
    if (!this.window.ready(lastSeq)) this.reset(lastSeq);
    if (!this.window.loaded) void this.jump();
  }

  /** The history this page held is gone (restored, deleted and made anew): start again. */
  reset(lastSeq = 0): void {
    this.#jumps++;
    this.window.reset();
    this.window.ready(lastSeq);
    this.#deps.view.clear();
    this.#deps.onChange();
  }

  /** A live (or replayed) message; true when it is news to this page. */
  message(message: ShownMessage): boolean {
    const { view } = this.#deps;
    const stick = this.window.atLatest && view.atBottom();
    const isNew = this.window.echo(message);
    // Reading the end: the oldest go. Reading further up: the newest go (and the jump button shows).
    if (stick) this.window.trimTop();
    else this.window.trimBottom();
    this.#render(stick);
    return isNew;
  }

  /** Replaces the window with the newest page (`seq` omitted) or the page around `seq`, which is then highlighted. */
  async jump(seq?: number): Promise<void> {
    const mine = ++this.#jumps;
    const request = this.window.jumpRequest(seq);
    const page = await this.#fetch(request);
    if (!page || mine !== this.#jumps || this.#closed) return;
    this.window.applyJump(request, page);
    this.#render(seq === undefined);
    if (seq !== undefined) this.#deps.view.highlight(seq);
    else this.#deps.view.scrollToEnd();
    this.check();
  }

  /** Loads a page if the list is scrolled near an end that has more; call on scroll. */
  check(): void {
    const { view } = this.#deps;
    this.#deps.onChange();
    if (this.#busy || this.#closed) return;
    const older = view.nearTop() ? this.window.olderRequest() : null;
    const newer = !older && view.nearBottom() ? this.window.newerRequest() : null;
    const request = older ?? newer;
    if (!request) return;
    this.#busy = true;
    view.list.setAttribute('aria-busy', 'true');
    void this.#fetch(request).then((page) => {
      this.#busy = false;
      view.list.removeAttribute('aria-busy');
      if (!page || this.#closed) return;
      const applied = older ? this.window.applyOlder(request, page) : this.window.applyNewer(request, page);
      if (applied) this.#render(false);
      // Still near an end (a fast scroll, or a short page): go on.
      requestAnimationFrame(() => this.check());
    });
  }

  #render(stick: boolean): void {
    this.#deps.view.render(this.window.items, this.window.version, stick);
    this.#deps.onChange();
  }

  async #fetch(request: PageRequest) {
    const before = Number.isFinite(request.before) ? request.before : undefined;
    try {
      const page = await this.#deps.fetchPage({ ...(before === undefined ? {} : { before }), limit: this.window.pageSize });
      return { messages: page.messages.map(({ seq, id, body, at }) => ({ seq, id, body, at })), hasMore: page.hasMore };
    } catch (err) {
      if (!this.#closed) this.#deps.onError(err);
      return null;
    }
  }
}
