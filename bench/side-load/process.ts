/** Starts a side-load process (main.ts) and talks to it: the bench's end of the IPC channel. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cpuSeconds } from '../lib/proc.js';
import { ROOT } from '../lib/server-process.js';
import type { FromChild, SideLoadReport, SideLoadSpec, ToChild } from './spec.js';

/** Set-up (hundreds of PATCHes for retention) and the final report each get this long. */
const TIMEOUT_MS = 60_000;

export interface SideLoad {
  pid: number;
  /** CPU the process and the children it waited for (backups) have used, in seconds. */
  cpuSeconds(): number;
  /** Stops the load and resolves with its report. */
  stop(): Promise<SideLoadReport>;
}

function next(child: ChildProcess, what: string): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`side load: no ${what} after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    const onMessage = (message: FromChild) => done(null, message);
    const onExit = (code: number | null) => done(new Error(`side load exited (${code}) before its ${what}`));
    function done(err: Error | null, message?: FromChild) {
      clearTimeout(timer);
      child.removeListener('message', onMessage);
      child.removeListener('exit', onExit);
      if (err) reject(err);
      else resolve(message!);
    }
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Forks a side-load process (it inherits this process's core, see main.ts);
 * `start` hands it its spec later, so its start-up overlaps the server's.
 */
export interface ForkedSideLoad {
  start(spec: SideLoadSpec): Promise<SideLoad>;
  /** Ends the process (by its PID) if it still runs. */
  kill(): Promise<void>;
}

export function forkSideLoad(): ForkedSideLoad {
  const child = fork(join(ROOT, 'bench/side-load/main.ts'), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { start: (spec) => start(child, spec, kill), kill };
}

/**
 * Starts `spec` and resolves once the load runs. A load that could not start
 * resolves too, its report (the errors say why) kept for `stop`.
 */
async function start(child: ChildProcess, spec: SideLoadSpec, kill: () => Promise<void>): Promise<SideLoad> {
  let early: SideLoadReport | null = null;
  try {
    const first = next(child, 'ready');
    child.send({ type: 'start', spec } satisfies ToChild);
    const message = await first;
    if (message.type === 'report') early = message.report;
  } catch (err) {
    await kill();
    throw err;
  }
  const pid = child.pid!;
  return {
    pid,
    cpuSeconds: () => cpuSeconds(pid, { children: true }),
    async stop() {
      if (early) {
        await kill();
        return early;
      }
      try {
        const report = next(child, 'report');
        child.send({ type: 'stop' } satisfies ToChild);
        const message = await report;
        if (message.type !== 'report') throw new Error(`side load: expected a report, got ${message.type}`);
        return message.report;
      } finally {
        await kill();
      }
    },
  };
}
