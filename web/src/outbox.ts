/** A message sent (or to be sent) whose echo has not come back yet. */
export interface PendingMessage {
  id: string;
  text: string;
}

/**
 * The unacknowledged messages of one session in this tab, in send order.
 * Kept in sessionStorage so a reload of the tab does not lose them; another
 * tab has its own (the server's fan-out keeps tabs in sync).
 */
export class Outbox {
  private readonly key: string;
  private readonly items = new Map<string, PendingMessage>();

  constructor(sessionId: string, private readonly storage: Storage = sessionStorage) {
    this.key = `websocket-session.outbox.${sessionId}`;
    try {
      for (const item of JSON.parse(storage.getItem(this.key) ?? '[]') as PendingMessage[]) {
        if (typeof item?.id === 'string' && typeof item.text === 'string') this.items.set(item.id, item);
      }
    } catch {
      storage.removeItem(this.key);
    }
  }

  add(message: PendingMessage): void {
    this.items.set(message.id, message);
    this.save();
  }

  /** Drops an acknowledged message; false when it was not pending here. */
  acknowledge(id: string | null): boolean {
    if (id === null || !this.items.delete(id)) return false;
    this.save();
    return true;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  get(id: string): PendingMessage | undefined {
    return this.items.get(id);
  }

  list(): PendingMessage[] {
    return [...this.items.values()];
  }

  /** Forgets every pending message (the session is gone). */
  clear(): void {
    this.items.clear();
    this.save();
  }

  private save(): void {
    if (this.items.size === 0) this.storage.removeItem(this.key);
    else this.storage.setItem(this.key, JSON.stringify(this.list()));
  }
}
