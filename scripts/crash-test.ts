/**
 * Crash test: clients send as fast as a window allows while the built server
 * is killed with SIGKILL at random moments and restarted; then the SQLite file
 * is checked against every echo the clients received.
 *
 *   npm run test:crash -- --kills 5 --clients 6 --sessions 3
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RegisteredSession } from '../protocol/wire.js';
import { ServerProcess } from '../e2e/server-process.js';
import { CRASH_USAGE, parseCrashArgs } from './crash/args.js';
import { CrashClient } from './crash/client.js';
import { DEFAULT_OPTIONS, type CrashOptions } from './crash/options.js';
import { formatReport, type CrashReport } from './crash/report.js';
import { DeadlineError, deferred, delay, seededRandom, within, type Deferred } from './crash/timing.js';
import { verifyHistory } from './crash/verify.js';

export { DEFAULT_OPTIONS, type CrashOptions } from './crash/options.js';
export { formatReport, type CrashReport } from './crash/report.js';

const MAIN = resolve(import.meta.dirname, '../dist/server/main.js');
/** How many times a restart may fail (say, the port not yet free) before the run fails. */
const RESTART_ATTEMPTS = 3;
/** Time kept in reserve after the deadline for SIGTERM and the checks. */
const SHUTDOWN_RESERVE_MS = 6_000;
/** How long a stop or an abandoned start is waited for during cleanup. */
const STOP_GRACE_MS = 5_000;

export async function runCrashTest(overrides: Partial<CrashOptions> = {}): Promise<CrashReport> {
  const options: CrashOptions = { ...DEFAULT_OPTIONS, ...overrides };
  if (!options.seed) options.seed = Math.floor(Math.random() * 2 ** 31) + 1;
  const { log } = options;
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test and npm run test:crash do)`);
  }
  const started = Date.now();
  const hardDeadline = started + options.deadlineMs;
  const loadDeadline = hardDeadline - SHUTDOWN_RESERVE_MS;
  const random = seededRandom(options.seed);
  const failures: string[] = [];
  let kills = 0;
  let restarts = 0;
  let finalExit: CrashReport['finalExit'] = null;

  // As fast as they can: no per-connection rate limit, and room for every writer
  // of a session; no retention, since history is checked to be exactly 1..N.
  const env = {
    DB_SYNC: options.dbSync,
    WS_RATE_LIMIT: '0',
    WS_IP_BYTES_PER_SECOND: '0',
    MAX_CONNECTIONS_PER_SESSION: String(Math.max(8, 2 * Math.ceil(options.clients / options.sessions))),
    RETENTION_MAX_AGE_DAYS: '0',
    RETENTION_MAX_MESSAGES: '0',
  };
  // Every start, so one abandoned at the deadline is still stopped at the end.
  const starts: Array<Promise<ServerProcess>> = [];
  const track = (start: Promise<ServerProcess>) => {
    starts.push(start);
    start.catch(() => undefined);
    return start;
  };
  let server: ServerProcess;
  try {
    server = await within(track(ServerProcess.start({ env })), loadDeadline, 'server start');
  } catch (err) {
    await stopAll(starts);
    throw err;
  }
  const dataDir = server.dir;
  let up: Deferred<void> = deferred();
  up.resolve();
  const clients: CrashClient[] = [];
  const acknowledged = () => clients.reduce((n, c) => n + c.acked.size, 0);
  let progress: Deferred<void> = deferred();
  const onAck = () => progress.resolve();
  /** Resolves at the next acknowledgement from now on. */
  const nextAck = () => (progress = deferred()).promise;

  try {
    const sessions: RegisteredSession[] = [];
    for (let i = 0; i < options.sessions; i++) sessions.push(await register(server, `crash-${options.seed}-s${i}`));
    for (let i = 0; i < options.clients; i++) {
      const session = sessions[i % sessions.length]!;
      clients.push(
        new CrashClient({
          name: `c${i}`,
          sessionId: session.id,
          token: session.token,
          wsBase: `ws://127.0.0.1:${server.wsPort}`,
          window: options.window,
          maxMessages: options.maxMessagesPerClient,
          deadline: loadDeadline,
          serverUp: () => up.promise,
          maxConnectAttempts: options.maxConnectAttempts,
          onAck,
          eager: i % 2 === 0,
        }),
      );
    }
    // Rejects as soon as a client gives up reconnecting; it never resolves.
    const failed = Promise.race(clients.map((c) => c.drained.then(() => new Promise<never>(() => undefined))));
    failed.catch(() => undefined);
    for (const client of clients) client.start();

    for (let k = 1; k <= options.kills; k++) {
      await loadRuns(options, random, nextAck(), loadDeadline, failed);
      up = deferred();
      const exit = await within(server.stop('SIGKILL'), loadDeadline, `kill ${k}`);
      if (exit.signal !== 'SIGKILL') failures.push(`kill ${k}: the server had already exited (${exit.code ?? exit.signal})`);
      kills++;
      log(`kill ${k}/${options.kills} after ${acknowledged()} acknowledged`);
      server = await restart(server, loadDeadline, track);
      restarts++;
      up.resolve();
    }
    // Load after the last restart too, then every message sent must be acknowledged.
    await loadRuns(options, random, nextAck(), loadDeadline, failed);
    for (const client of clients) client.stopProducing();
    await within(Promise.all(clients.map((c) => c.drained)), loadDeadline, 'every message to be acknowledged');
    log(`drained: ${acknowledged()} acknowledged`);

    for (const client of clients) client.finish();
    const exit = await within(server.stop('SIGTERM'), hardDeadline, 'exit after SIGTERM');
    finalExit = { code: exit.code, signal: exit.signal };
    if (exit.code !== 0) failures.push(`SIGTERM: the server exited with ${exit.code ?? exit.signal}, not 0`);
    await within(Promise.all(clients.map((c) => c.waitClosed())), hardDeadline, 'client sockets to close');
    const notGoingAway = clients.filter((c) => c.connections.at(-1)?.closeCode !== 1001);
    if (notGoingAway.length > 0) failures.push(`SIGTERM: ${notGoingAway.map((c) => c.name).join(', ')} not closed with 1001`);
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    for (const client of clients) client.terminate();
    if (isRunning(server)) {
      const current = server;
      await within(current.stop('SIGTERM'), Date.now() + STOP_GRACE_MS, 'SIGTERM after a failure').catch(() => current.stop('SIGKILL'));
    }
    failures.push(...(await stopAll(starts)));
  }

  const verification = verifyHistory(server.dbPath, clients.map((c) => c.sessionId), clients);
  for (const c of verification.checks) if (!c.ok) failures.push(`check failed: ${c.name}`);
  const sent = clients.reduce((n, c) => n + c.sent.size, 0);
  if (verification.lost > 0) failures.push(`${verification.lost} acknowledged message(s) lost`);
  if (verification.duplicated > 0) failures.push(`${verification.duplicated} message(s) stored twice`);
  if (kills !== options.kills) failures.push(`${kills} of ${options.kills} kills done`);

  const ok = failures.length === 0;
  const keep = options.keepData || !ok;
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
  return {
    ok,
    sent,
    acknowledged: acknowledged(),
    stored: verification.stored,
    lost: verification.lost,
    duplicated: verification.duplicated,
    resent: clients.reduce((n, c) => n + c.resends, 0),
    errorFrames: clients.reduce((n, c) => n + c.errorFrames, 0),
    dedupedResends: clients.reduce((n, c) => n + c.connections.reduce((m, r) => m + r.duplicateAcks, 0), 0),
    kills,
    restarts,
    connections: clients.reduce((n, c) => n + c.connections.length, 0),
    durationMs: Date.now() - started,
    seed: options.seed,
    integrity: verification.integrity,
    finalExit,
    checks: verification.checks,
    failures,
    dataDir: keep ? dataDir : null,
  };
}

/**
 * Lets the load run: waits for an acknowledgement from the (restarted) server,
 * so a kill lands on a working server, then a random interval before the kill.
 */
async function loadRuns(
  options: CrashOptions,
  random: () => number,
  acknowledgement: Promise<void>,
  deadline: number,
  failed: Promise<never>,
): Promise<void> {
  await within(Promise.race([acknowledgement, failed]), deadline, 'an acknowledgement after the restart');
  const interval = options.minIntervalMs + random() * (options.maxIntervalMs - options.minIntervalMs);
  await Promise.race([delay(Math.min(interval, deadline - Date.now())), failed]);
}

async function restart(
  previous: ServerProcess,
  deadline: number,
  track: (start: Promise<ServerProcess>) => Promise<ServerProcess>,
): Promise<ServerProcess> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= RESTART_ATTEMPTS; attempt++) {
    try {
      return await within(track(previous.restart()), deadline, 'the restart');
    } catch (err) {
      lastError = err as Error;
      if (err instanceof DeadlineError) break;
    }
  }
  throw new Error(`restart failed: ${lastError?.message}`);
}

const isRunning = (server: ServerProcess) => server.child.exitCode === null && server.child.signalCode === null;

/**
 * SIGKILLs every server process still running, including one whose start was
 * abandoned at the deadline (it is waited for a little); returns what it found.
 */
async function stopAll(starts: ReadonlyArray<Promise<ServerProcess>>): Promise<string[]> {
  const found: string[] = [];
  for (const start of starts) {
    const server = await within(start, Date.now() + STOP_GRACE_MS, 'an abandoned server start').catch((err: unknown) =>
      err instanceof DeadlineError ? (found.push(`a server start never finished: a child process may be left running`), undefined) : undefined,
    );
    if (server && isRunning(server)) {
      found.push(`server pid ${server.child.pid} was still running: killed`);
      await within(server.stop('SIGKILL'), Date.now() + STOP_GRACE_MS, 'SIGKILL').catch(() => undefined);
    }
  }
  return found;
}

async function register(server: ServerProcess, id: string): Promise<RegisteredSession> {
  const res = await fetch(`${server.httpUrl}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id }),
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 201) throw new Error(`register ${id}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as RegisteredSession;
}

async function cli(): Promise<void> {
  const parsed = parseCrashArgs(process.argv.slice(2));
  if (parsed.help) {
    console.log(CRASH_USAGE);
    return;
  }
  const report = await runCrashTest({ ...parsed.options, log: (line) => console.log(line) });
  console.log(formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

/** Exits even if a server child that never said it listens is still attached. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli().then(
    () => exit(Number(process.exitCode ?? 0)),
    (err: unknown) => {
      console.error(`crash test: ${(err as Error).message}`);
      exit(2);
    },
  );
}
