import type { ServerFrame } from '../../protocol/wire.js';

/**
 * What the client needs of a WebSocket: the WHATWG interface browsers have,
 * which `ws` (Node) implements too. Listeners take `any` events since the two
 * declare their event classes apart.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void;
}

/** `WebSocket` in browsers; in Node, `WebSocket` from the `ws` package. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

const OPEN = 1;

/** Every frame type the client knows; a frame type missing here fails the build (`satisfies`). */
const FRAME_TYPES = { echo: true, ready: true, error: true, reset: true, presence: true } as const satisfies Record<ServerFrame['type'], true>;

export interface SocketHandlers {
  onFrame(frame: ServerFrame): void;
  /** A frame that is not JSON or not of a known type (a newer server): it is skipped. */
  onUnknown(data: unknown): void;
  /** `opened`: the upgrade succeeded (false: refused or unreachable; a browser is not told which). */
  onClose(code: number, reason: string, opened: boolean): void;
}

/** One WebSocket connection attempt; the client makes a new one for each. */
export class Socket {
  readonly #ws: WebSocketLike;
  #opened = false;
  #done = false;

  constructor(WebSocket: WebSocketConstructor, url: string, protocol: string, handlers: SocketHandlers) {
    this.#ws = new WebSocket(url, protocol);
    this.#ws.addEventListener('open', () => (this.#opened = true));
    this.#ws.addEventListener('message', (event: { data: unknown }) => {
      if (this.#done) return;
      const frame = parseFrame(event.data);
      if (frame) handlers.onFrame(frame);
      else handlers.onUnknown(event.data);
    });
    // Some implementations fire only 'error' on a refused upgrade; 'close' follows in both.
    this.#ws.addEventListener('error', () => undefined);
    this.#ws.addEventListener('close', (event: { code: number; reason: string }) => {
      if (this.#done) return;
      this.#done = true;
      handlers.onClose(event.code, event.reason, this.#opened);
    });
  }

  get isOpen(): boolean {
    return !this.#done && this.#ws.readyState === OPEN;
  }

  send(data: string): void {
    this.#ws.send(data);
  }

  /** Closes without telling the handlers: the client already knows. */
  close(code: number, reason: string): void {
    this.#done = true;
    try {
      this.#ws.close(code, reason);
    } catch {
      // Closing a socket still connecting throws in some implementations; it is dropped either way.
    }
  }
}

function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  const type = (frame as { type?: unknown } | null)?.type;
  return typeof type === 'string' && Object.hasOwn(FRAME_TYPES, type) ? (frame as ServerFrame) : null;
}
