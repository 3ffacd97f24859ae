/** What one WebSocket connection of a client received, checked as it arrived. */
export interface ConnectionRecord {
  index: number;
  /** The `?after=` it connected with: the highest seq the client had seen. */
  after: number;
  readyLastSeq: number | null;
  /** Echoes delivered in the session's order (replay + live). */
  delivered: number;
  /** Out-of-band original echoes for ids resent on this connection (server dedupe). */
  duplicateAcks: number;
  closeCode: number | null;
  problems: string[];
}

const MAX_PROBLEMS_KEPT = 5;

/**
 * The delivery order of one JSON-mode connection: echoes arrive as after+1,
 * after+2, ... with no gap and no repeat, and `ready` names the last one. The
 * one exception: a resent id that the server had already stored gets its
 * original echo back once, out of band (before or after the same seq arrives
 * in order through the replay or the live stream).
 */
export class ConnectionCheck {
  readonly record: ConnectionRecord;
  /** Highest seq delivered in order on this connection. */
  private lastSeq: number;
  /** Ids resent here that may still get one out-of-band echo. */
  private readonly resent = new Set<string>();
  private ready = false;

  constructor(
    private readonly label: string,
    index: number,
    after: number,
  ) {
    this.lastSeq = after;
    this.record = { index, after, readyLastSeq: null, delivered: 0, duplicateAcks: 0, closeCode: null, problems: [] };
  }

  markResent(id: string): void {
    this.resent.add(id);
  }

  /** Returns the seq delivered in order, or null for an out-of-band echo. */
  onEcho(seq: number, id: string | null): number | null {
    if (seq === this.lastSeq + 1) return this.advance(seq);
    if (id != null && this.resent.delete(id)) {
      this.record.duplicateAcks++;
      return null;
    }
    if (seq <= this.lastSeq) {
      this.problem(`seq ${seq} (id ${id}) delivered after seq ${this.lastSeq}: out of order or repeated`);
      return null;
    }
    this.problem(`gap: seq ${seq} delivered after seq ${this.lastSeq}`);
    return this.advance(seq);
  }

  onReady(lastSeq: number): void {
    if (this.ready) this.problem('a second ready frame');
    this.ready = true;
    this.record.readyLastSeq = lastSeq;
    if (lastSeq < this.lastSeq) {
      this.problem(`ready.lastSeq ${lastSeq} is below seq ${this.lastSeq} already seen: the server lost history`);
    } else if (lastSeq > this.lastSeq) {
      this.problem(`ready.lastSeq ${lastSeq} but the replay stopped at ${this.lastSeq}`);
    }
  }

  problem(message: string): void {
    const { problems } = this.record;
    if (problems.length < MAX_PROBLEMS_KEPT) problems.push(`${this.label} connection ${this.record.index}: ${message}`);
    else if (problems.length === MAX_PROBLEMS_KEPT) problems.push(`${this.label} connection ${this.record.index}: more problems not shown`);
  }

  private advance(seq: number): number {
    this.lastSeq = seq;
    this.record.delivered++;
    return seq;
  }
}
