/**
 * A minimal keep-alive HTTP/1.1 client over one raw `net.Socket`, so the
 * client is never what a latency figure measures (node:http's client adds
 * about 1 ms at p99 on a small VM). GET only, one request in flight; each
 * request is one prebuilt string written with one `write`; the response is
 * parsed incrementally: status line, headers up to CRLFCRLF, then a
 * Content-Length body. Chunked bodies are refused with an error: the routes
 * measured answer with Content-Length.
 */
import { connect, type Socket } from 'node:net';

export interface RawHttpResponse {
  status: number;
  body: string;
}

export interface RawHttpOptions {
  port: number;
  host?: string;
  /** Sent with every request, e.g. { Authorization: 'Bearer ...' }. */
  headers?: Record<string, string>;
  /** Bound on one request (and on connecting), ms. */
  timeoutMs?: number;
}

const MAX_HEAD = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Final statuses that never carry a body. */
const NO_BODY = (status: number) => status === 204 || status === 304;

interface Pending {
  resolve(res: RawHttpResponse): void;
  reject(err: Error): void;
  deadline: number;
}

export class RawHttpClient {
  private buf: Buffer | null = null;
  /** Where the CRLFCRLF search resumes in `buf`. */
  private scanFrom = 0;
  /** Parsed head of the response being read, or null while reading the head. */
  private head: { status: number; bodyStart: number; bodyLength: number; close: boolean } | null = null;
  private pending: Pending | null = null;
  private closed = false;
  private error: Error | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly tail: string;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    host: string,
    port: number,
    headers: Record<string, string>,
  ) {
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    this.tail = ` HTTP/1.1\r\nHost: ${host}:${port}\r\n${extra}\r\n`;
    // One timer for the client, re-armed per request (no allocation per request).
    this.timer = setTimeout(() => this.onTimer(), timeoutMs);
    this.timer.unref();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new Error(`socket: ${err.message}`)));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  /** Opens the connection (TCP_NODELAY on). */
  static connect(options: RawHttpOptions): Promise<RawHttpClient> {
    const host = options.host ?? '127.0.0.1';
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port: options.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect ${host}:${options.port}: timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        resolve(new RawHttpClient(socket, timeoutMs, host, options.port, options.headers ?? {}));
      });
    });
  }

  /** The bytes of `GET path` with the client's headers: build it before the clock starts. */
  requestFor(path: string): string {
    return `GET ${path}${this.tail}`;
  }

  get(path: string): Promise<RawHttpResponse> {
    return this.send(this.requestFor(path));
  }

  /** Writes one prebuilt request (see requestFor) and resolves with its response. */
  send(request: string): Promise<RawHttpResponse> {
    if (this.error) return Promise.reject(this.error);
    if (this.pending) return Promise.reject(new Error('RawHttpClient: one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, deadline: performance.now() + this.timeoutMs };
      this.timer.refresh();
      this.socket.write(request, 'latin1');
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket.destroy();
    this.fail(new Error('client closed'));
  }

  private onTimer(): void {
    const p = this.pending;
    if (!p) return;
    const left = p.deadline - performance.now();
    if (left > 0) {
      this.timer.refresh();
      return;
    }
    this.fail(new Error(`request timed out after ${this.timeoutMs} ms`));
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.error ??= err;
    const p = this.pending;
    this.pending = null;
    p?.reject(this.closed ? new Error('client closed') : err);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    try {
      this.parse();
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
    }
  }

  private parse(): void {
    const buf = this.buf!;
    if (this.head === null) {
      const end = buf.indexOf(CRLFCRLF, this.scanFrom);
      if (end < 0) {
        if (buf.length > MAX_HEAD) throw new Error(`response head larger than ${MAX_HEAD} bytes`);
        this.scanFrom = Math.max(0, buf.length - 3);
        return;
      }
      this.head = parseHead(buf.toString('latin1', 0, end), end + 4);
    }
    const { status, bodyStart, bodyLength, close } = this.head;
    if (buf.length < bodyStart + bodyLength) return;
    const body = buf.toString('utf8', bodyStart, bodyStart + bodyLength);
    const rest = buf.length - (bodyStart + bodyLength);
    this.buf = null;
    this.scanFrom = 0;
    this.head = null;
    const p = this.pending;
    if (!p) throw new Error(`response without a request: ${status}`);
    if (rest > 0) throw new Error(`${rest} bytes after the response (pipelining is not used)`);
    this.pending = null;
    if (close) {
      this.error = new Error('the server closed the connection (Connection: close)');
      this.socket.end();
    }
    p.resolve({ status, body });
  }
}

function parseHead(text: string, bodyStart: number): { status: number; bodyStart: number; bodyLength: number; close: boolean } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!m) throw new Error(`bad status line: ${lines[0]!.slice(0, 100)}`);
  const status = Number(m[1]);
  if (status < 200) throw new Error(`interim response ${status} is not supported`);
  let length: number | null = null;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad header line: ${line.slice(0, 100)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) throw new Error(`bad Content-Length: ${value}`);
      length = Number(value);
    } else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') {
      throw new Error(`Transfer-Encoding: ${value} is not supported (the routes measured answer with Content-Length)`);
    } else if (name === 'connection' && value.toLowerCase().split(',').some((t) => t.trim() === 'close')) {
      close = true;
    }
  }
  if (NO_BODY(status)) return { status, bodyStart, bodyLength: 0, close };
  if (length === null) throw new Error(`${status} response without Content-Length (a body read until close is not supported)`);
  return { status, bodyStart, bodyLength: length, close };
}
