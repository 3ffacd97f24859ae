import type { HistoryMessage } from '../../protocol/wire.js';
import type { ClientError } from './errors.js';
import type { OutboxStore, PendingMessage } from './stores.js';

/** A committed message: what `send()` resolves with and `message` events carry. */
export type Message = HistoryMessage;

interface Entry extends PendingMessage {
  /** Written on the current connection and neither acknowledged nor refused since. */
  inFlight: boolean;
  /** Settles the promise `send()` returned (or `pending()` lists, for restored entries). */
  resolve(message: Message): void;
  reject(error: ClientError): void;
  readonly acknowledged: Promise<Message>;
}

/** A pending message as `pending()` lists it, with the promise of its acknowledgement. */
export interface PendingSend extends PendingMessage {
  readonly acknowledged: Promise<Message>;
}

/** 128 random bits in hex; `crypto.getRandomValues` works in insecure browser contexts too, unlike `randomUUID`. */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The unacknowledged messages of one session, in send order, kept in an
 * OutboxStore. Every change is saved once per microtask checkpoint (however
 * many sends or acknowledgements it has), and `persisted()` lets the client
 * write a message to the wire only once it is saved, so a reload or a crash
 * can never lose a message the server may not have.
 */
export class Outbox {
  readonly #entries = new Map<string, Entry>();
  #dirty = false;
  /** After rejectAll() without `forget`: what the store keeps for the next client. */
  #retained: PendingMessage[] | null = null;
  #saveInProgress: Promise<void> | null = null;

  readonly #store: OutboxStore;
  readonly #sessionId: string;
  /** A save that failed (storage full...): the messages stay pending in memory and are still sent. */
  readonly #onSaveError: (error: unknown) => void;

  constructor(store: OutboxStore, sessionId: string, onSaveError: (error: unknown) => void) {
    this.#store = store;
    this.#sessionId = sessionId;
    this.#onSaveError = onSaveError;
  }

  /** Takes in what an earlier client left pending (a reload, a restart). */
  async restore(): Promise<void> {
    for (const message of await this.#store.load(this.#sessionId)) {
      if (!this.#entries.has(message.id)) this.#entries.set(message.id, entry(message));
    }
  }

  add(text: string): Entry {
    const item = entry({ id: newMessageId(), text });
    this.#entries.set(item.id, item);
    this.#changed();
    return item;
  }

  get size(): number {
    return this.#entries.size;
  }

  get inFlight(): number {
    let count = 0;
    for (const item of this.#entries.values()) if (item.inFlight) count++;
    return count;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  list(): PendingSend[] {
    return [...this.#entries.values()].map(({ id, text, acknowledged }) => ({ id, text, acknowledged }));
  }

  /** Messages to write next, in send order. */
  unwritten(): Entry[] {
    return [...this.#entries.values()].filter((item) => !item.inFlight);
  }

  /** After a reconnect nothing is in flight: everything pending goes out again. */
  rewindAll(): void {
    for (const item of this.#entries.values()) item.inFlight = false;
  }

  /** The server refused this one for now (rate limit, storage fault): it goes out again. */
  rewind(id: string): void {
    const item = this.#entries.get(id);
    if (item) item.inFlight = false;
  }

  /** Settles the message acknowledged by this echo; false when it was not pending here. */
  acknowledge(message: Message): boolean {
    const item = message.id === null ? undefined : this.#entries.get(message.id);
    if (!item) return false;
    this.#entries.delete(item.id);
    item.resolve(message);
    this.#changed();
    return true;
  }

  /** A message that can never be stored: rejected and forgotten. */
  reject(id: string, error: ClientError): void {
    const item = this.#entries.get(id);
    if (!item) return;
    this.#entries.delete(id);
    item.reject(error);
    this.#changed();
  }

  /**
   * Rejects every pending promise. `forget`: the messages can never be sent
   * (the session is gone), so the store is emptied too; otherwise they stay
   * stored for the next client of this session to send.
   */
  rejectAll(error: ClientError, { forget }: { forget: boolean }): void {
    const items = [...this.#entries.values()];
    this.#entries.clear();
    this.#retained = forget ? [] : items.map(({ id, text }) => ({ id, text }));
    for (const item of items) item.reject(error);
    // A save still under way writes `retained`; with forget, the store is emptied.
    if (forget) this.#changed();
  }

  /** True while a save is under way: what changed may not be in the store yet. */
  get saving(): boolean {
    return this.#saveInProgress !== null;
  }

  /** Resolves once every change so far is in the store. */
  persisted(): Promise<void> {
    return this.#saveInProgress ?? Promise.resolve();
  }

  #changed(): void {
    this.#dirty = true;
    this.#saveInProgress ??= this.#save();
  }

  async #save(): Promise<void> {
    try {
      // Gathers whatever changes in the current task into one write.
      await Promise.resolve();
      while (this.#dirty) {
        this.#dirty = false;
        await this.#store.save(this.#sessionId, this.#retained ?? [...this.#entries.values()].map(({ id, text }) => ({ id, text })));
      }
    } catch (error) {
      this.#onSaveError(error);
    } finally {
      this.#saveInProgress = null;
    }
  }
}

function entry(message: PendingMessage): Entry {
  let resolve!: (message: Message) => void;
  let reject!: (error: ClientError) => void;
  const acknowledged = new Promise<Message>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody has to listen: a rejection nobody awaits is not an unhandled one.
  acknowledged.catch(() => undefined);
  return { id: message.id, text: message.text, inFlight: false, resolve, reject, acknowledged };
}
