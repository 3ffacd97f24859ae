import { connect, type Socket } from 'node:net';

/** A response read off a raw socket: what a client that sends any bytes gets back. */
export interface RawResponse {
  /** 0 when the server closed without answering. */
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** A request head: the request line, then `Host` (when given) and the other header lines, `Connection: close` last. */
export function requestHead(line: string, headers: Array<string | [string, string]> = [], host: string | null = '127.0.0.1'): string {
  const lines = headers.map((h) => (typeof h === 'string' ? h : `${h[0]}: ${h[1]}`));
  return [line, ...(host === null ? [] : [`Host: ${host}`]), ...lines, 'Connection: close', '', ''].join('\r\n');
}

/**
 * Sends `bytes` as they are on a new connection and parses the one response
 * that comes back before the server closes (send `Connection: close`), or
 * what came within `timeoutMs` (a 101 keeps the socket open). The client
 * never half-closes first: Node's server drops the answer of a request whose
 * client has ended its side.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, body: Buffer.from(body, 'latin1').toString() };
}

function unchunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return out;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** The error code of a JSON error body, or null when the body is not one. */
export function errorCode(res: RawResponse): string | null {
  try {
    return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

/** A connection kept open from a chosen local address, asked one request at a time. */
export interface RawSocket {
  socket: Socket;
  /** Resolves when the connection ends, with whether any byte came before. */
  ended: Promise<{ answered: boolean }>;
  /** Sends one request and resolves with the status line of its answer. */
  ask(request: string): Promise<string>;
}

/** Connects from `from` (any 127.x.y.z reaches a server on 127.0.0.1) to `port` on 127.0.0.1. */
export async function rawSocketFrom(from: string, port: number): Promise<RawSocket> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  let received = '';
  let answered = false;
  let waiting: ((line: string) => void) | undefined;
  /** Hands the first complete response in `received` (one the server sent unasked too, a 408 say) to `waiting`. */
  const deliver = () => {
    const end = received.indexOf('\r\n\r\n');
    if (end === -1 || !waiting) return;
    const head = received.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (received.length < end + 4 + length) return;
    received = received.slice(end + 4 + length);
    const done = waiting;
    waiting = undefined;
    done(head.split('\r\n')[0]!);
  };
  socket.on('data', (chunk: Buffer) => {
    answered = true;
    received += chunk.toString('latin1');
    deliver();
  });
  socket.on('error', () => undefined);
  const ended = new Promise<{ answered: boolean }>((resolve) => socket.once('close', () => resolve({ answered })));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    ended,
    ask: (request) =>
      new Promise((resolve, reject) => {
        waiting = resolve;
        deliver();
        if (!waiting) return;
        if (socket.destroyed) return reject(new Error('closed before an answer'));
        socket.once('close', () => reject(new Error('closed before an answer')));
        socket.write(request);
      }),
  };
}
