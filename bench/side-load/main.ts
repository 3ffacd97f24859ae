/**
 * A side-load process of the stall target (forked by process.ts with an IPC
 * channel): takes a spec, runs that load until told to stop, reports. It
 * inherits the generator's core and lowers its own priority to the least
 * (nice 19), so the generator it shares the core with is never kept waiting
 * by it: whatever the load costs the echoes, it costs through the server.
 */
import { setPriority } from 'node:os';
import { percentile, round3 } from '../lib/stats.js';
import { LOADS, type LoadContext, type Tally } from './loads.js';
import type { FromChild, SideLoadReport, ToChild } from './spec.js';

const MAX_ERRORS = 20;

function send(message: FromChild): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

try {
  setPriority(19);
} catch {
  // Not allowed here: the load still runs, at normal priority.
}

process.once('message', (start: ToChild) => {
  if (start.type !== 'start') throw new Error(`side load: expected start, got ${start.type}`);
  const { spec } = start;
  const tally: Tally = { completed: 0, statuses: {}, times: [], detail: {}, errors: [] };
  let running = true;
  let readySent = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const ctx: LoadContext = {
    spec,
    tally,
    running: () => running,
    stopped,
    ready: () => {
      if (readySent) return;
      readySent = true;
      void send({ type: 'ready' });
    },
    error: (message) => {
      if (tally.errors.length < MAX_ERRORS) tally.errors.push(message);
    },
  };
  const started = performance.now();
  const done = LOADS[spec.kind](ctx).catch((err: unknown) => ctx.error(`the load failed: ${(err as Error).stack ?? String(err)}`));
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    running = false;
    stop();
    await done;
    const { times } = tally;
    const report: SideLoadReport = {
      kind: spec.kind,
      seconds: round3((performance.now() - started) / 1000),
      completed: tally.completed,
      statuses: tally.statuses,
      durationMs: times.length ? { p50: round3(percentile(times, 50)), p99: round3(percentile(times, 99)), max: round3(times.reduce((a, b) => Math.max(a, b), 0)) } : null,
      detail: tally.detail,
      errors: tally.errors,
    };
    await send({ type: 'report', report });
    process.exit(0);
  };
  process.on('message', (message: ToChild) => {
    if (message.type === 'stop') void finish();
  });
  // A load that ends by itself (it failed to start) reports at once.
  void done.then(() => running && void finish());
});
