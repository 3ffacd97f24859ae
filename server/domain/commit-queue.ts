import type { AppendInput, AppendOutcome, AppendResult, StoredMessage } from './model.js';
import type { MessageBus, MessageLog } from './ports.js';

export type CommitCallback = (err: Error | null, result?: AppendResult) => void;

export interface CommitQueueOptions {
  /** Called after every committed batch, for metrics. */
  onCommit?: (batchSize: number, durationMs: number) => void;
}

interface Pending {
  input: AppendInput;
  /** The session's public ID, for the bus event. */
  sessionId: string;
  done: CommitCallback;
}

export type CommitQueue = ReturnType<typeof createCommitQueue>;

/**
 * Group commit: appends that arrive in the same turn of the event loop are
 * written in one transaction (one fsync). After the COMMIT, one `committed`
 * event per session of the batch goes out on the bus (the fan-out to every
 * connection of the session), then each sender's callback is called (its
 * own acknowledgement, or why it was refused). While a commit's fsync
 * blocks, the next batch gathers in the sockets' buffers, so batches grow
 * with load by themselves.
 *
 * With an asynchronous store (PostgreSQL) one batch is in flight at a time:
 * appends that arrive while it commits wait here, in `pending`, and go
 * together in the next transaction once it settled. So a batch is one
 * transaction whatever the engine (the commit metrics count transactions),
 * and `discardSession` reaches every append not yet handed to the store.
 */
export function createCommitQueue(log: MessageLog, bus: MessageBus, options: CommitQueueOptions = {}) {
  let pending: Pending[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  /** Committed batches and the appends in them, since start. */
  const stats = { batches: 0, appends: 0 };
  /** The batch whose append has not settled yet (an asynchronous store): the next one waits for it. */
  let inFlight: Promise<void> | undefined;

  function failed(batch: Pending[], err: unknown): void {
    // Nothing of the batch was written: every sender hears about it, none gets an echo.
    for (const p of batch) p.done(err as Error);
  }

  function committed(batch: Pending[], outcomes: AppendOutcome[], started: number): void {
    stats.batches++;
    stats.appends += batch.length;
    options.onCommit?.(batch.length, performance.now() - started);
    publish(batch, outcomes);
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      // Refused on its own (the session's budget, a deleted session): the rest of the batch is stored.
      if (outcome instanceof Error) batch[i]!.done(outcome);
      else batch[i]!.done(null, outcome);
    }
  }

  /** One `committed` per session: the batch's new messages of it, in seq order (contiguous: one transaction numbered them). */
  function publish(batch: Pending[], outcomes: AppendOutcome[]): void {
    const bySession = new Map<number, { sessionId: string; messages: StoredMessage[] }>();
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error || outcome.duplicate) continue;
      const { sessionPk } = batch[i]!.input;
      let session = bySession.get(sessionPk);
      if (!session) bySession.set(sessionPk, (session = { sessionId: batch[i]!.sessionId, messages: [] }));
      session.messages.push(outcome);
    }
    for (const [sessionPk, { sessionId, messages }] of bySession) {
      bus.publish({ type: 'committed', sessionPk, sessionId, fromSeq: messages[0]!.seq, toSeq: messages.at(-1)!.seq, messages });
    }
  }

  function flush(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (inFlight || pending.length === 0) return;
    const batch = pending;
    pending = [];
    const started = performance.now();
    let outcomes: AppendOutcome[] | Promise<AppendOutcome[]>;
    try {
      outcomes = log.append(batch.map((p) => p.input));
    } catch (err) {
      return failed(batch, err);
    }
    // An embedded store settles at once: the echoes leave in this same turn.
    if (!(outcomes instanceof Promise)) return committed(batch, outcomes, started);
    inFlight = outcomes
      .then((o) => committed(batch, o, started), (err: unknown) => failed(batch, err))
      .finally(() => {
        inFlight = undefined;
        flush(); // what gathered meanwhile
      });
  }

  return {
    enqueue(input: AppendInput, sessionId: string, done: CommitCallback): void {
      pending.push({ input, sessionId, done });
      scheduled ??= setImmediate(flush);
    },

    /** Commits whatever is pending now and resolves when every batch taken so far has settled (shutdown). */
    async drain(): Promise<void> {
      flush();
      // Each settled batch starts the next one from what gathered meanwhile.
      while (inFlight) await inFlight;
    },

    /** Fails the appends of a session that is being deleted which were not handed to the store yet. */
    discardSession(sessionPk: number, reason: Error): void {
      const kept: Pending[] = [];
      for (const p of pending) {
        if (p.input.sessionPk === sessionPk) p.done(reason);
        else kept.push(p);
      }
      pending = kept;
    },

    stats: stats as Readonly<typeof stats>,
  };
}
