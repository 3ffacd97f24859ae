/** A message as the list shows it. */
export interface ShownMessage {
  seq: number;
  /** The client message id (null for messages sent without one). */
  id: string | null;
  body: string;
  /** Commit time, ISO 8601. */
  at: string;
}

export interface Page {
  /** Ascending by seq. */
  messages: readonly ShownMessage[];
  /** More messages exist below the page's first. */
  hasMore: boolean;
}

/** A page request: every message with seq < `before` (newest first, `limit` of them); `known` was known to exist when asked. */
export interface PageRequest {
  before: number;
  known: number;
}

/**
 * The slice of a session's history the page shows: at most `max`
 * consecutive messages, paged in from the HTTP API as the user scrolls, plus
 * the live echoes when the slice reaches the newest message. No DOM here.
 *
 * Invariants: `items` is ascending by seq and holds every message with a
 * seq in [items[0].seq, coveredTo]; `tail` holds every echoed message with a
 * seq in (tailBase, last of tail], all above coveredTo. Only the echo stream
 * (`streamSeq`) and answers to requests made after a seq was known
 * (`PageRequest.known`) are trusted to say that no message is missing, so
 * this stays correct even if seqs had gaps.
 */
export class HistoryWindow {
  items: ShownMessage[] = [];
  hasOlder = false;
  coveredTo = 0;
  /** Highest seq the echo stream (and ready frames) reached: what a reconnect resumes after. */
  streamSeq = 0;
  /** Highest seq known to exist, from any source. */
  latestSeq = 0;
  loaded = false;
  /** Bumped on every change of `items`, so a view can skip unchanged renders. */
  version = 0;
  #tail: ShownMessage[] = [];
  #tailBase = 0;

  readonly #tailMax: number;

  constructor(
    readonly max = 300,
    readonly pageSize = 100,
    tailMax = 1000,
  ) {
    this.#tailMax = tailMax;
  }

  /** The window includes the newest known message. */
  get atLatest(): boolean {
    return this.loaded && this.coveredTo >= this.latestSeq;
  }

  reset(): void {
    Object.assign(this, { items: [], hasOlder: false, coveredTo: 0, streamSeq: 0, latestSeq: 0, loaded: false, tail: [], tailBase: 0 });
    this.version++;
  }

  /** A ready frame; false when the server has less than this page saw (the session was deleted and made again). */
  ready(lastSeq: number): boolean {
    if (this.loaded && lastSeq < this.streamSeq) return false;
    // Above the stream without a replay: the echoes before it never came.
    if (lastSeq > this.streamSeq) this.#tail = [];
    this.streamSeq = lastSeq;
    this.latestSeq = Math.max(this.latestSeq, lastSeq);
    return true;
  }

  /** A live (or replayed) echo; true when it is news to this page. */
  echo(message: ShownMessage): boolean {
    const previous = this.streamSeq;
    const isNew = message.seq > previous;
    this.streamSeq = Math.max(previous, message.seq);
    this.latestSeq = Math.max(this.latestSeq, message.seq);
    if (!isNew) return false;
    // Echoes come in seq order with none missing after `previous`, so a window complete up to it can take this one.
    if (this.loaded && this.coveredTo >= previous) {
      if (message.seq <= this.coveredTo) return true; // already paged in over HTTP
      this.items.push(message);
      this.coveredTo = message.seq;
      this.version++;
    } else {
      if (this.#tail.length === 0) this.#tailBase = previous;
      this.#tail.push(message);
      if (this.#tail.length > this.#tailMax) this.#tailBase = this.#tail.splice(0, this.#tail.length - this.#tailMax).at(-1)!.seq;
    }
    return true;
  }

  olderRequest(): PageRequest | null {
    const first = this.items[0];
    return this.loaded && this.hasOlder && first ? { before: first.seq, known: this.latestSeq } : null;
  }

  /** Prepends an older page; false when the window moved meanwhile (the answer is dropped). */
  applyOlder(request: PageRequest, page: Page): boolean {
    if (this.items[0]?.seq !== request.before) return false;
    this.items.unshift(...page.messages.filter((m) => m.seq < request.before));
    this.hasOlder = page.hasMore;
    this.version++;
    this.trimBottom();
    return true;
  }

  newerRequest(): PageRequest | null {
    return this.loaded && !this.atLatest ? { before: this.coveredTo + this.pageSize + 1, known: this.latestSeq } : null;
  }

  /** Appends a newer page; false when the window moved meanwhile. */
  applyNewer(request: PageRequest, page: Page): boolean {
    if (this.coveredTo !== request.before - this.pageSize - 1) return false;
    this.items.push(...page.messages.filter((m) => m.seq > this.coveredTo));
    this.coveredTo = covered(request, page, this.coveredTo);
    this.#noteKnown(page);
    this.#absorbTail();
    this.version++;
    this.trimTop();
    return true;
  }

  /** A request for the newest page (no `before`), or for the page that has `seq` in its middle. */
  jumpRequest(seq?: number): PageRequest {
    const before = seq === undefined ? Number.POSITIVE_INFINITY : seq + Math.floor(this.pageSize / 2) + 1;
    return { before, known: this.latestSeq };
  }

  /** Replaces the window with a page (the newest, or one around a message). */
  applyJump(request: PageRequest, page: Page): void {
    const old = { items: this.items, coveredTo: this.coveredTo };
    this.items = page.messages.filter((m) => m.seq < request.before);
    this.hasOlder = page.hasMore;
    this.coveredTo = covered(request, page, 0);
    this.loaded = true;
    this.#noteKnown(page);
    // What the old window had beyond the page (echoes that came during the request) still counts.
    const oldFirst = old.items[0]?.seq;
    if (oldFirst !== undefined && oldFirst <= this.coveredTo + 1 && old.coveredTo > this.coveredTo) {
      this.items.push(...old.items.filter((m) => m.seq > this.coveredTo));
      this.coveredTo = old.coveredTo;
    }
    this.#absorbTail();
    this.version++;
    this.trimTop();
  }

  /** Keeps the window at `max` by dropping its newest messages (the user reads older ones). */
  trimBottom(): void {
    if (this.items.length <= this.max) return;
    this.items.length = this.max;
    this.coveredTo = this.items.at(-1)!.seq;
    this.version++;
  }

  /** Keeps the window at `max` by dropping its oldest messages. */
  trimTop(): void {
    if (this.items.length <= this.max) return;
    this.items.splice(0, this.items.length - this.max);
    this.hasOlder = true;
    this.version++;
  }

  #noteKnown(page: Page): void {
    this.latestSeq = Math.max(this.latestSeq, page.messages.at(-1)?.seq ?? 0);
  }

  #absorbTail(): void {
    if (this.coveredTo < this.#tailBase) return;
    const rest = this.#tail.filter((m) => m.seq > this.coveredTo);
    this.#tail = [];
    if (rest.length === 0) return;
    this.items.push(...rest);
    this.coveredTo = rest.at(-1)!.seq;
  }
}

/**
 * How far a page answer is complete: up to its last message, and up to
 * `before - 1` for every seq that existed when it was asked (`known`).
 */
function covered(request: PageRequest, page: Page, floor: number): number {
  return Math.max(floor, page.messages.at(-1)?.seq ?? 0, Math.min(request.before - 1, request.known));
}
