import type { AppendInput, AppendResult, MessageLog } from './message-log.js';
import { SessionStorageFull } from './message-log.js';

export type CommitCallback = (err: Error | null, result?: AppendResult) => void;

export interface CommitQueueOptions {
  /** Called after every committed batch, for metrics. */
  onCommit?: (batchSize: number, durationMs: number) => void;
  /** Why no write may happen now (free disk below the floor), or null; asked once per batch. */
  refusal?: () => Error | null;
}

interface Pending {
  input: AppendInput;
  done: CommitCallback;
}

export type CommitQueue = ReturnType<typeof createCommitQueue>;

/**
 * Group commit: appends that arrive in the same turn of the event loop are
 * written in one transaction (one fsync), and only then are their callbacks
 * (the echoes) called. While a commit's fsync blocks, the next batch gathers
 * in the sockets' buffers, so batches grow with load by themselves.
 */
export function createCommitQueue(log: MessageLog, options: CommitQueueOptions = {}) {
  let pending: Pending[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  /** Committed batches and the appends in them, since start. */
  const stats = { batches: 0, appends: 0 };

  function flush(): void {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const started = performance.now();
    let results: ReturnType<MessageLog['append']>;
    try {
      const refused = options.refusal?.();
      if (refused) throw refused;
      results = log.append(batch.map((p) => p.input));
    } catch (err) {
      // Nothing of the batch was written: every sender hears about it, none gets an echo.
      for (const p of batch) p.done(err as Error);
      return;
    }
    stats.batches++;
    stats.appends += batch.length;
    options.onCommit?.(batch.length, performance.now() - started);
    for (let i = 0; i < batch.length; i++) {
      const result = results[i]!;
      // Refused by its session's storage budget: only this one, the rest of the batch is stored.
      if (result instanceof SessionStorageFull) batch[i]!.done(result);
      else batch[i]!.done(null, result);
    }
  }

  return {
    enqueue(input: AppendInput, done: CommitCallback): void {
      pending.push({ input, done });
      scheduled ??= setImmediate(flush);
    },

    /** Commits whatever is pending now (shutdown). */
    flush,

    /** Fails the pending appends of a session that is being deleted. */
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
