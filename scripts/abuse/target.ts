/** What an abuse case is thrown at, and the small moves every case makes. */
import { connect } from 'node:net';
import type { RegisteredSession } from '../../protocol/wire.js';
import { Op, RawWs, upgradeStatus, type RawTarget } from './raw-ws.js';

/** The limits the server under test runs with (the cases size their attacks from them). */
export interface AbuseLimits {
  maxMessageBytes: number;
  wsMaxFragments: number;
  wsRateLimit: number;
  maxConnectionsPerSession: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  maxConnectionsPerIp: number;
  maxSocketsPerIp: number;
  authFailureLimit: number;
  maxSessionBytes: number;
  maxBufferedBytes: number;
  metricsToken: string;
}

export interface AbuseTarget {
  host: string;
  httpPort: number;
  wsPort: number;
  limits: AbuseLimits;
}

export interface AbuseCase {
  name: string;
  /** What RFC 6455 (or the project's contract) demands, in the form `run` reports. */
  expected: string;
  /**
   * A known answer of ws that differs from RFC 6455's: accepted (it still
   * fails the connection) but shown as a deviation, never as the expectation.
   */
  knownDeviation?: { got: string; why: string };
  /** Attacks a running server and reports what it answered: `close 1002`, `HTTP 413`, `echo ok`... */
  run(target: AbuseTarget): Promise<string>;
}

export const httpUrl = (t: AbuseTarget, path: string) => `http://${t.host}:${t.httpPort}${path}`;

/** A fresh session (generated ID) for one case, so no case can disturb another. */
export async function registerSession(t: AbuseTarget): Promise<RegisteredSession> {
  const res = await fetch(httpUrl(t, '/api/sessions'), { method: 'POST' });
  if (res.status !== 201) throw new Error(`register: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as RegisteredSession;
}

export function wsTarget(t: AbuseTarget, path: string, headers: Record<string, string> = {}): RawTarget {
  return { host: t.host, port: t.wsPort, path, headers };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A registered session with one open text-mode connection. */
export async function openSession(t: AbuseTarget): Promise<{ session: RegisteredSession; ws: RawWs }> {
  const session = await registerSession(t);
  const ws = await RawWs.open(wsTarget(t, `/ws/${session.id}`, bearer(session.token)));
  return { session, ws };
}

/** How a connection ended: the server's close code, or how it failed to send one. */
export async function outcome(ws: RawWs): Promise<string> {
  const closed = await ws.closed();
  // The server's own reasons are `"<error code>: <message>"`: the code is part of the outcome.
  if (closed) return `close ${closed.code}${/^([a-z0-9_]+): /.exec(closed.reason)?.[1]?.replace(/^/, ' ') ?? ''}`;
  return ws.parseError ? `bad server frame: ${ws.parseError}` : 'ended without a close frame';
}

/**
 * Reads the next frame and checks it is the byte-exact echo `"<ID>: <body>"`;
 * pongs are skipped. Then closes the connection normally.
 */
export async function echoOutcome(ws: RawWs, sessionId: string, body: Buffer | string, close = true): Promise<string> {
  const expected = Buffer.concat([Buffer.from(`${sessionId}: `), Buffer.from(body)]);
  let frame = await ws.next();
  while (frame?.opcode === Op.pong) frame = await ws.next();
  let got: string;
  if (!frame) got = 'ended without an echo';
  else if (frame.opcode === Op.close) got = `close ${frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005}`;
  else if (frame.opcode !== Op.text) got = `opcode 0x${frame.opcode.toString(16)}`;
  else got = frame.payload.equals(expected) ? 'echo ok' : `wrong echo: ${frame.payload.toString('utf8', 0, 60)}`;
  if (close) {
    ws.send({ opcode: Op.close, payload: Buffer.from([0x03, 0xe8]) });
    await ws.closed();
  }
  return got;
}

/** The status of an upgrade request: `HTTP 101`, or the refusal's status. */
export async function upgradeOutcome(target: RawTarget): Promise<string> {
  return `HTTP ${await upgradeStatus(target)}`;
}

/** The status of an HTTP request to the API port. */
export async function httpOutcome(t: AbuseTarget, path: string, init: RequestInit): Promise<string> {
  const res = await fetch(httpUrl(t, path), init);
  await res.arrayBuffer();
  return `HTTP ${res.status}`;
}

/**
 * Slowloris: sends a request head one byte every `dripMs` and never finishes
 * it. Resolves with the status line the server answers with (or how it hung up).
 */
export function slowloris(host: string, port: number, dripMs = 50): Promise<string> {
  const head = `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Slow: ${'z'.repeat(4096)}`;
  return new Promise((resolve) => {
    let received = '';
    let sent = 0;
    const socket = connect({ host, port });
    const drip = setInterval(() => {
      if (sent < head.length && socket.writable) socket.write(head[sent++]!);
    }, dripMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    let error = '';
    socket.on('error', (err: NodeJS.ErrnoException) => (error = ` (${err.code ?? err.message})`));
    socket.on('close', () => {
      clearInterval(drip);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve(status ? `HTTP ${status}` : `closed without an answer after ${sent} bytes${error}`);
    });
  });
}
