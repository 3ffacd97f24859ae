import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { awaitListening } from '../../e2e/listening.js';
import { cpuSeconds, rssKiB, taskset } from './proc.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SERVER_MAIN = join(ROOT, 'dist/server/main.js');

let serverMain = SERVER_MAIN;
let snapshotDir: string | null = null;

/**
 * Copies the built server (dist/ without the web app) aside and runs (a) from
 * the copy, so a rebuild during a long run cannot change the code under test
 * between repetitions. The copy lives inside the project, so its imports still
 * resolve to the project's node_modules.
 */
export function snapshotServer(): string {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: run npm run build first`);
  snapshotDir = join(ROOT, 'bench/results', `.server-${process.pid}`);
  rmSync(snapshotDir, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), snapshotDir, { recursive: true, filter: (src) => src !== join(ROOT, 'dist/web') });
  serverMain = join(snapshotDir, 'server/main.js');
  return serverMain;
}

/** The built backup CLI (`npm run backup`'s code), from the same build as the server under test. */
export function backupCli(): string {
  return join(dirname(serverMain), 'backup-cli.js');
}

/** The snapshot's folder relative to the project, as it appears in profiles. */
export function serverSnapshotDir(): string | null {
  return snapshotDir && relative(ROOT, snapshotDir);
}

export function removeServerSnapshot(): void {
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
  snapshotDir = null;
  serverMain = SERVER_MAIN;
}

/**
 * a: websocket-session as built; b: plain ws echo (the ceiling); c: naive
 * one-INSERT-per-message; d: Socket.IO 4 echo, websocket transport, nothing
 * stored (the peer people pick); e: d with connection-state recovery; h: bare
 * node:http, a constant JSON body (the history target's floor).
 */
export type Variant = 'a' | 'b' | 'c' | 'd' | 'e' | 'h';
export type DbSync = 'full' | 'normal';

export const VARIANT_NAMES: Record<Variant, string> = {
  a: 'websocket-session',
  b: 'plain ws echo',
  c: 'naive INSERT/msg',
  d: 'Socket.IO 4 echo',
  e: 'Socket.IO 4 + recovery',
  h: 'bare node:http',
};

/** What variant h answers to every request. */
export const PLAIN_HTTP_BODY = '{"ok":true}';

/** The script of each reference server. */
const SCRIPTS: Record<Exclude<Variant, 'a'>, string> = {
  b: 'plain-echo.ts',
  c: 'naive.ts',
  d: 'socketio-echo.ts',
  e: 'socketio-recovery.ts',
  h: 'plain-http.ts',
};

/** The core the server under test runs on; the generator takes core 0. */
export const SERVER_CORE = 1;
export const GENERATOR_CORE = 0;

export interface StartOptions {
  variant: Variant;
  /** Database file (a and c). */
  dbPath?: string;
  sync?: DbSync;
  /** Pin the server to SERVER_CORE with taskset (when installed). */
  pin: boolean;
  /** Write a V8 CPU profile into this folder on exit (variant a). */
  cpuProfDir?: string;
  /** Extra settings for the server, e.g. limits lifted for the run. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface BenchServer {
  variant: Variant;
  pid: number;
  /** The WebSocket port (a to e); h's only port (HTTP) is this and httpPort. */
  wsPort: number;
  /** HTTP port (variants a and h). */
  httpPort: number | null;
  /** From spawn() to the "listening" line, in ms. */
  readyMs: number;
  cpuSeconds(): number;
  rssKiB(): number;
  stop(): Promise<void>;
}

/**
 * Settings that lift the server's limits for a benchmark run: registration
 * and per-connection message rate limits off, the connection caps (in total
 * and per IP: the load comes from one address) above what the memory target
 * opens, no cap on TCP connections per IP, no per-IP inbound byte rate, no storage budget per session. A server that does not know a
 * setting ignores it.
 */
export const UNLIMITED_ENV: Record<string, string> = {
  REGISTER_RATE_LIMIT: '0',
  WS_RATE_LIMIT: '0',
  MAX_CONNECTIONS: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_SOCKETS_PER_IP: '0',
  MAX_SESSION_BYTES: '0',
  WS_IP_BYTES_PER_SECOND: '0',
};

function command(options: StartOptions): { args: string[]; env: Record<string, string> } {
  const node = process.execPath;
  if (options.variant === 'a') {
    if (!existsSync(serverMain)) throw new Error(`${serverMain} is missing: run npm run build first`);
    const prof = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
    return {
      args: [node, ...prof, serverMain],
      env: {
        HOST: '127.0.0.1',
        HTTP_PORT: '0',
        WS_PORT: '0',
        DB_PATH: options.dbPath ?? '',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...(options.sync ? { DB_SYNC: options.sync } : {}),
        ...UNLIMITED_ENV,
      },
    };
  }
  const script = join(ROOT, 'bench/servers', SCRIPTS[options.variant]);
  return {
    args: [node, '--import', 'tsx', script],
    env: { HOST: '127.0.0.1', PORT: '0', ...(options.dbPath ? { NAIVE_DB_PATH: options.dbPath } : {}) },
  };
}

/** Spawns a server under test and resolves when it says where it listens. */
export async function startBenchServer(options: StartOptions): Promise<BenchServer> {
  const { args, env } = command(options);
  const pinWith = options.pin ? taskset() : null;
  const argv = pinWith ? [pinWith, '-c', String(SERVER_CORE), ...args] : args;
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const line = await awaitListening(child, options.readyTimeoutMs ?? 20_000).catch((err: Error) => {
    throw new Error(`${options.variant}: ${err.message}`);
  });
  const wsPort = (line.wsPort ?? line.port)!;
  const ports = { wsPort, httpPort: line.httpPort ?? (options.variant === 'h' ? wsPort : null), at: line.at };
  const pid = child.pid!;
  return {
    variant: options.variant,
    pid,
    wsPort: ports.wsPort,
    httpPort: ports.httpPort,
    readyMs: ports.at - started,
    cpuSeconds: () => cpuSeconds(pid),
    rssKiB: () => rssKiB(pid),
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
