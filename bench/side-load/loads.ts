/**
 * The side loads of the stall target, each run beside an echo load until
 * stopped: clients of the server's own HTTP API, and `npm run backup`'s code
 * path. Every answer is checked; a load whose answers are wrong reports
 * errors, and its figures do not count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import { SEARCH_QUERIES } from '../chat-text.js';
import { HttpClient } from '../lib/http.js';
import { RawHttpClient, type RawHttpResponse } from '../lib/raw-http.js';
import type { SideLoadKind, SideLoadSession, SideLoadSpec } from './spec.js';

export interface Tally {
  completed: number;
  statuses: Record<string, number>;
  times: number[];
  detail: Record<string, number>;
  errors: string[];
}

export interface LoadContext {
  spec: SideLoadSpec;
  tally: Tally;
  running(): boolean;
  /** Resolves when the bench says stop. */
  stopped: Promise<void>;
  /**
   * The load runs and its first operation has had its outcome (so a load
   * that cannot work says so before the measurement, and one that works has
   * shown it): the measurement may start. Idempotent.
   */
  ready(): void;
  error(message: string): void;
}

/** A request's time-out: far above any answer a working server gives, so only a hung one trips it. */
const REQUEST_TIMEOUT_MS = 60_000;
const bearer = (s: SideLoadSession) => ({ Authorization: `Bearer ${s.token}` });

/** A raw keep-alive client that reconnects after a failure (a timed-out client is closed for good). */
class ReconnectingClient {
  private client: RawHttpClient | null = null;
  private closed = false;
  constructor(private readonly port: number, private readonly headers: Record<string, string> = {}) {}

  async get(path: string): Promise<RawHttpResponse> {
    try {
      this.client ??= await RawHttpClient.connect({ port: this.port, headers: this.headers, timeoutMs: REQUEST_TIMEOUT_MS });
      if (this.closed) this.client.close();
      return await this.client.get(path);
    } catch (err) {
      this.client?.close();
      this.client = null;
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    this.client?.close();
  }
}

/** "200", or "503 search_timeout" for a JSON error answer. */
function statusKey(status: number, body: string): string {
  if (status === 200) return '200';
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? `${status} ${code}` : String(status);
  } catch {
    return String(status);
  }
}

/**
 * One operation, timed and checked. `check` returns true when it did what it
 * must, false when the server answered with a clear error instead (counted
 * by status, not an error), and throws when the answer is wrong.
 */
async function attempt<R extends RawHttpResponse>(ctx: LoadContext, op: () => Promise<R>, check: (res: R) => boolean): Promise<void> {
  const t0 = performance.now();
  let res: R;
  try {
    res = await op();
  } catch (err) {
    if (!ctx.running()) return;
    ctx.error((err as Error).message);
    // A server that refuses at once would otherwise be asked again in a busy loop.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return;
  } finally {
    ctx.ready();
  }
  const ms = performance.now() - t0;
  const key = statusKey(res.status, res.body);
  ctx.tally.statuses[key] = (ctx.tally.statuses[key] ?? 0) + 1;
  try {
    if (!check(res)) return;
    ctx.tally.completed++;
    ctx.tally.times.push(ms);
  } catch (err) {
    ctx.error(`${key}: ${(err as Error).message}`);
  }
}

/** A search's answer: results of this session only; or a clear JSON error (a search cut by a time budget). */
function searchAnswered(sessionId: string, res: RawHttpResponse): boolean {
  if (res.status !== 200) {
    if (statusKey(res.status, res.body).includes(' ')) return false;
    throw new Error(res.body.slice(0, 200));
  }
  const body = JSON.parse(res.body) as { results?: { text?: unknown }[] };
  if (!Array.isArray(body.results)) throw new Error(`no results array: ${res.body.slice(0, 200)}`);
  for (const r of body.results) if (typeof r.text !== 'string' || !r.text.startsWith(`${sessionId}: `)) throw new Error(`a result from elsewhere: ${JSON.stringify(r).slice(0, 200)}`);
  return true;
}

/** `clients` searchers, each in its own session, typing SEARCH_QUERIES in turn, one search after another. */
async function search(ctx: LoadContext): Promise<void> {
  const { spec } = ctx;
  const clients = Array.from({ length: spec.clients }, (_, i) => {
    const session = spec.sessions[i % spec.sessions.length]!;
    return { session, http: new ReconnectingClient(spec.httpPort, bearer(session)) };
  });
  void ctx.stopped.then(() => clients.forEach((c) => c.http.close()));
  await Promise.all(
    clients.map(async ({ session, http }, i) => {
      for (let q = i; ctx.running(); q++) {
        const query = encodeURIComponent(SEARCH_QUERIES[q % SEARCH_QUERIES.length]!);
        await attempt(ctx, () => http.get(`/api/sessions/${session.id}/search?q=${query}&limit=20`), (res) => searchAnswered(session.id, res));
      }
    }),
  );
}

/** `clients` scrapers of /metrics, back to back. */
async function metrics(ctx: LoadContext): Promise<void> {
  const clients = Array.from({ length: ctx.spec.clients }, () => new ReconnectingClient(ctx.spec.httpPort));
  void ctx.stopped.then(() => clients.forEach((c) => c.close()));
  await Promise.all(
    clients.map(async (http) => {
      while (ctx.running()) {
        await attempt(ctx, () => http.get('/metrics'), (res) => {
          if (res.status !== 200 || !res.body.includes('wss_messages_in_total')) throw new Error(`not the service's metrics: ${res.body.slice(0, 100)}`);
          return true;
        });
      }
    }),
  );
}

/** One NDJSON export of a session, streamed and counted (node:http: the answer is chunked). */
function exportOnce(port: number, session: SideLoadSession, agent: Agent, signal: AbortSignal): Promise<RawHttpResponse & { lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: `/api/sessions/${session.id}/export?format=ndjson`, headers: bearer(session), agent, signal, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let lines = 0;
      let bytes = 0;
      let head = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (head.length < 200) head += chunk.toString('utf8', 0, 200);
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: head, lines, bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('export timed out')));
    req.on('error', reject);
  });
}

/** `clients` downloaders of the big session's whole history, one export after another. */
async function exportLoad(ctx: LoadContext): Promise<void> {
  const { spec } = ctx;
  const session = spec.sessions[0]!;
  const agent = new Agent({ keepAlive: true, maxSockets: spec.clients });
  const abort = new AbortController();
  void ctx.stopped.then(() => abort.abort());
  ctx.tally.detail.bytes = 0;
  await Promise.all(
    Array.from({ length: spec.clients }, async () => {
      while (ctx.running()) {
        await attempt(ctx, () => exportOnce(spec.httpPort, session, agent, abort.signal), (r) => {
          if (r.status !== 200 || r.lines !== session.messages) throw new Error(`export of ${r.lines} lines, ${session.messages} expected: ${r.body.slice(0, 100)}`);
          ctx.tally.detail.bytes! += r.bytes;
          return true;
        });
      }
    }),
  );
  agent.destroy();
}

/**
 * A retention pass deleting many rows: every session but the first gets a
 * limit of 1 message (PATCH), and the first is deleted (a purge of its rows
 * at once); the server under this load runs its retention pass every 200 ms
 * (stall.ts), which trims the others. At the stop, each trimmed session is
 * read back: the rows deleted by then, at least.
 */
async function retention(ctx: LoadContext): Promise<void> {
  const { spec, tally } = ctx;
  const http = new HttpClient(spec.httpPort, spec.clients);
  const [first, ...rest] = spec.sessions;
  const each = async (list: readonly SideLoadSession[], fn: (s: SideLoadSession) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: spec.clients }, async () => {
      while (next < list.length) await fn(list[next++]!);
    }));
  };
  try {
    await each(rest, async (s) => {
      const res = await http.request('PATCH', `/api/sessions/${s.id}`, { retention: { maxMessages: 1 } }, bearer(s));
      if (res.status !== 200) ctx.error(`PATCH ${s.id}: ${res.status} ${res.body.slice(0, 100)}`);
    });
    const deleted = await http.request('DELETE', `/api/sessions/${first!.id}`, undefined, bearer(first!));
    if (deleted.status !== 204) ctx.error(`DELETE ${first!.id}: ${deleted.status} ${deleted.body.slice(0, 100)}`);
    ctx.ready();
    await ctx.stopped;
    tally.detail = { sessionsToTrim: rest.length, sessionsTrimmed: 0, rowsDeletedAtLeast: 0 };
    await each(rest, async (s) => {
      const res = await http.request('GET', `/api/sessions/${s.id}/messages?limit=2`, undefined, bearer(s));
      if (res.status !== 200) return ctx.error(`GET ${s.id}: ${res.status}`);
      if ((JSON.parse(res.body) as { messages: unknown[] }).messages.length > 1) return;
      tally.completed++;
      tally.detail.sessionsTrimmed!++;
      tally.detail.rowsDeletedAtLeast! += (s.messages ?? 1) - 1;
    });
  } finally {
    http.close();
  }
}

/** `npm run backup` (the built backup-cli.js) again and again, each copy verified by the CLI's integrity check. */
async function backup(ctx: LoadContext): Promise<void> {
  const { cli, dbPath, destination } = ctx.spec.backup!;
  let child: ChildProcess | null = null;
  // A backup in progress at the stop is ended (by its PID, through its handle).
  void ctx.stopped.then(() => child?.kill('SIGTERM'));
  for (; ctx.running(); ctx.ready()) {
    const t0 = performance.now();
    const run = spawn(process.execPath, [cli, destination, '--force', '--db-path', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = run;
    let output = '';
    run.stdout.on('data', (c: Buffer) => (output += c.toString()));
    run.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('close', resolve));
    child = null;
    if (!ctx.running()) break;
    ctx.tally.statuses[`exit ${code}`] = (ctx.tally.statuses[`exit ${code}`] ?? 0) + 1;
    if (code !== 0 || !output.includes('integrity ok')) {
      ctx.error(`backup exited ${code}: ${output.trim().slice(0, 200)}`);
      continue;
    }
    ctx.tally.completed++;
    ctx.tally.times.push(performance.now() - t0);
  }
}

async function none(ctx: LoadContext): Promise<void> {
  ctx.ready();
  await ctx.stopped;
}

export const LOADS: Record<SideLoadKind, (ctx: LoadContext) => Promise<void>> = { none, search, export: exportLoad, retention, backup, metrics };
