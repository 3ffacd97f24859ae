/**
 * A private PostgreSQL 15 for tests: initdb in a temp folder, started with
 * pg_ctl on a free loopback port (as the `postgres` user when we are root),
 * stopped by the postmaster's PID. Nothing else on the machine is touched.
 */
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, missing, runAs, stopPid } from './process.js';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** The superuser's URL of the `postgres` database. */
  url: string;
  port: number;
  /** The postmaster's PID (a test may SIGKILL it... never another one). */
  pid: number;
  /** Shuts the server down (fast shutdown, by PID) and resolves to the function that starts it again on the same port and data. */
  halt(): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /**
   * fsync and full-page writes on, as PostgreSQL ships (default false: the
   * tests kill nodes, never this server). The benchmarks compare it with
   * SQLite's DB_SYNC=full, which syncs every commit.
   */
  durable: boolean;
}

/** Starts a new cluster; rejects with the command to run when PostgreSQL is not installed. */
export async function startPostgres({ durable }: PostgresOptions = { durable: false }): Promise<PrivatePostgres> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw missing(join(PG_BIN, 'initdb'), 'postgresql postgresql-contrib');
  const dir = mkdtempSync(join(tmpdir(), 'wss-pg-'));
  const user = process.getuid?.() === 0 ? 'postgres' : null;
  if (user) {
    const { uid, gid } = await ids(user);
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  try {
    // C.UTF-8: Unicode letters and case folding for the text-search parser, the same on every Debian.
    await runAs(user, join(PG_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const port = await freePort();
    // fsync off unless durable: the tests kill nodes, never this server, and share two cores; the
    // store still asks for synchronous_commit=on, which is what durability across a node's crash rests on.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=400${durable ? '' : ' -c fsync=off -c full_page_writes=off'}`;
    const start = async () => {
      await runAs(user, join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    };
    let pid = await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      get pid() {
        return pid;
      },
      async halt() {
        await stopPid(pid, 'SIGINT'); // fast shutdown
        return async () => {
          pid = await start();
        };
      },
      async stop() {
        await stopPid(pid, 'SIGINT');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([runAs(null, 'id', ['-u', user]), runAs(null, 'id', ['-g', user])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

let counter = 0;

/** A new, empty database on the server at `adminUrl`; returns its URL and the function that drops it. */
export async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement as the superuser on its own connection. */
export async function admin(adminUrl: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
