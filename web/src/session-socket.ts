import { SUBPROTOCOL, WS_PATH_PREFIX, type ClientFrame, type EchoFrame, type ErrorFrame, type ReadyFrame, type ServerFrame } from '../../protocol/wire.js';

export type ConnectionState =
  | { kind: 'disconnected' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'error'; reason: string };

export interface SessionSocketHandlers {
  onState(state: ConnectionState): void;
  onEcho(frame: EchoFrame): void;
  onReady(frame: ReadyFrame): void;
  onServerError(frame: ErrorFrame): void;
}

/** Words for the close codes a person may see. */
function closeReason(event: CloseEvent): string {
  if (event.reason) return event.reason;
  switch (event.code) {
    case 1001: return 'the server is restarting';
    case 1006: return 'the connection was lost';
    case 1009: return 'the message was too large';
    case 1011: return 'the server could not store the message';
    default: return `the connection closed (code ${event.code})`;
  }
}

/** The JSON-mode WebSocket of one session, same origin (`/ws/{ID}`). */
export class SessionSocket {
  private ws: WebSocket | null = null;
  private closedByUser = false;

  constructor(
    readonly sessionId: string,
    private readonly handlers: SessionSocketHandlers,
  ) {}

  /** Opens the socket; the server replays every message with seq > afterSeq, then `ready`. */
  open(afterSeq: number): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}${WS_PATH_PREFIX}${encodeURIComponent(this.sessionId)}?after=${afterSeq}`;
    this.closedByUser = false;
    this.handlers.onState({ kind: 'connecting' });
    const ws = new WebSocket(url, SUBPROTOCOL);
    this.ws = ws;
    ws.addEventListener('open', () => this.handlers.onState({ kind: 'connected' }));
    ws.addEventListener('message', (event) => this.dispatch(event.data));
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.handlers.onState(this.closedByUser || event.code === 1000 ? { kind: 'disconnected' } : { kind: 'error', reason: closeReason(event) });
    });
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(frame: ClientFrame): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  close(): void {
    this.closedByUser = true;
    this.ws?.close(1000, 'closed by the user');
  }

  private dispatch(data: unknown): void {
    if (typeof data !== 'string') return;
    const frame = JSON.parse(data) as ServerFrame;
    switch (frame.type) {
      case 'echo': return this.handlers.onEcho(frame);
      case 'ready': return this.handlers.onReady(frame);
      case 'error': return this.handlers.onServerError(frame);
    }
  }
}
