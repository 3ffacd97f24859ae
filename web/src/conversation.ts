import type { HistoryMessage } from '../../protocol/wire.js';

export interface ShownMessage {
  seq: number;
  text: string;
  at: string;
}

/**
 * The messages of one session as the page knows them, keyed by seq, so a
 * message that arrives twice (history and echo, replay and live) is shown once
 * and always in seq order.
 */
export class Conversation {
  private readonly bySeq = new Map<number, ShownMessage>();
  private highest = 0;

  constructor(readonly sessionId: string) {}

  /** The highest seq seen: what a reconnect resumes after. */
  get lastSeq(): number {
    return this.highest;
  }

  get size(): number {
    return this.bySeq.size;
  }

  /** Adds a message; false when it was already known. */
  add(message: ShownMessage): boolean {
    if (this.bySeq.has(message.seq)) return false;
    this.bySeq.set(message.seq, message);
    if (message.seq > this.highest) this.highest = message.seq;
    return true;
  }

  addHistory(messages: readonly HistoryMessage[]): ShownMessage[] {
    return messages.filter((m) => this.add({ seq: m.seq, text: m.text, at: m.at }));
  }
}
