/** The built server as a child process with small limits, and what is checked after the abuse. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ServerProcess } from '../../e2e/server-process.js';
import type { AbuseCase } from './cases.js';
import { Op } from './raw-ws.js';
import { echoOutcome, httpUrl, openSession, type AbuseLimits, type AbuseTarget } from './target.js';

export const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');

/** The limits of the abuse run: small enough that every case hits them fast. */
export const ABUSE_LIMITS: AbuseLimits = {
  maxMessageBytes: 65536,
  wsMaxFragments: 128,
  wsRateLimit: 20,
  maxConnectionsPerSession: 8,
  maxBodyBytes: 16 * 1024,
  headersTimeoutMs: 500,
  // Above what all cases open at once from 127.0.0.1 (about 90); the per-IP case uses an address of its own.
  maxConnectionsPerIp: 128,
  // The default; above what all cases open at once from 127.0.0.1 (the socket case uses an address of its own).
  maxSocketsPerIp: 256,
  // Above the failures the other cases cause from 127.0.0.1 in two runs (8).
  authFailureLimit: 20,
  // Above the burst case's 1.25 x MAX_BUFFERED_BYTES of bodies, which must all be stored.
  maxSessionBytes: 768 * 1024,
  // The least that one echo of MAX_MESSAGE_BYTES allows (394,145), rounded up.
  maxBufferedBytes: 512 * 1024,
  metricsToken: 'abuse-metrics-token',
};

/** Growth of the server's resident memory allowed over two full runs of every case. */
export const RSS_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
}

/** Starts dist/server/main.js with ABUSE_LIMITS (registration unlimited: every case registers). */
export async function startAbuseServer(): Promise<{ server: ServerProcess; target: AbuseTarget }> {
  assertBuilt();
  const env = Object.fromEntries(Object.entries(ABUSE_LIMITS).map(([k, v]) => [snake(k), String(v)]));
  const server = await ServerProcess.start({ env: { ...env, REGISTER_RATE_LIMIT: '0' } });
  return { server, target: { host: '127.0.0.1', httpPort: server.httpPort, wsPort: server.wsPort, limits: ABUSE_LIMITS } };
}

/** Resident memory of a process (VmRSS), or null where /proc is not there. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** `alive` when /healthz is 200 and a normal register + connect + echo works; else what failed. */
export async function aliveCheck(target: AbuseTarget): Promise<string> {
  try {
    const health = await fetch(httpUrl(target, '/healthz'));
    await health.arrayBuffer();
    if (health.status !== 200) return `/healthz answered ${health.status}`;
    const { session, ws } = await openSession(target);
    const body = 'still alive? \u{1F642}';
    ws.send({ opcode: Op.text, payload: body });
    const echo = await echoOutcome(ws, session.id, body);
    return echo === 'echo ok' ? 'alive' : `echo: ${echo}`;
  } catch (err) {
    return `dead: ${(err as Error).message}`;
  }
}

export interface CaseResult {
  name: string;
  expected: string;
  got: string;
  /** As expected, or the case's known ws deviation from RFC 6455. */
  ok: boolean;
  /** The answer was the known deviation, not the expected one. */
  deviation: boolean;
  ms: number;
}

/** Runs one case, with a deadline: a hang is a result too. */
export async function runCase(c: AbuseCase, target: AbuseTarget, timeoutMs = 10_000): Promise<CaseResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((done) => (timer = setTimeout(() => done(`no answer in ${timeoutMs} ms`), timeoutMs)));
  const got = await Promise.race([c.run(target).catch((err: unknown) => `error: ${(err as Error).message}`), deadline]);
  clearTimeout(timer);
  const deviation = got !== c.expected && got === c.knownDeviation?.got;
  const ms = Math.round(performance.now() - started);
  return { name: c.name, expected: c.expected, got, ok: got === c.expected || deviation, deviation, ms };
}
