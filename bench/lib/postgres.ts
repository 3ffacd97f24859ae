/**
 * The benchmarks' PostgreSQL: the tests' private server
 * (server/test/services/postgres.ts: initdb in a temp folder, a free loopback
 * port, stopped by PID) with fsync on, pinned to the server's core like the node under test,
 * since an SQLite node does its storage work on that core too. Its CPU
 * (postmaster and every backend) counts as the server's, not as other work.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createDatabase, startPostgres, type PrivatePostgres } from '../../server/test/services/postgres.js';
import { cpuSeconds, taskset } from './proc.js';
import { SERVER_CORE } from './server-process.js';

export interface BenchPostgres {
  /** A new, empty database; its URL and the function that drops it. */
  database(): Promise<{ url: string; drop(): Promise<void> }>;
  /** CPU seconds of the postmaster and its processes now (a backend that ended meanwhile is not counted). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** The postmaster's child processes (backends, checkpointer, WAL writer, ...). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function startBenchPostgres(pin: boolean): Promise<BenchPostgres> {
  // Durable, as PostgreSQL ships: (a) on SQLite syncs every commit too (DB_SYNC=full).
  const server: PrivatePostgres = await startPostgres({ durable: true });
  const bin = pin ? taskset() : null;
  // Backends are forked by the postmaster: pinned once, they inherit the core.
  const pinAll = () => {
    if (!bin) return;
    for (const pid of [server.pid, ...children(server.pid)]) {
      try {
        execFileSync(bin, ['-a', '-p', '-c', String(SERVER_CORE), String(pid)], { stdio: 'ignore' });
      } catch {
        // a child that ended meanwhile
      }
    }
  };
  pinAll();
  return {
    async database() {
      const db = await createDatabase(server.url);
      pinAll();
      return db;
    },
    cpuSeconds: () => [server.pid, ...children(server.pid)].reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0),
    stop: () => server.stop(),
  };
}
