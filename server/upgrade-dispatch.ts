import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** A WebSocket opening handshake asks for exactly this protocol (RFC 6455 §4.1). */
function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.trim().toLowerCase() === 'websocket';
}

/**
 * Routes `server`'s upgrades: `Upgrade: websocket` to `onWebSocket`, any
 * other (h2c from `curl --http2`, TLS/1.0...) back to the server's own
 * request handler as an ordinary HTTP/1.1 request, which a server may answer
 * without switching (RFC 9110 §7.8).
 *
 * Once a server has an 'upgrade' listener, Node 20 gives it every request
 * with `Connection: upgrade` and an `Upgrade` header, having parsed neither
 * its body nor anything after it (a per-request choice, shouldUpgradeCallback,
 * came in Node 24). So a declined request is handed back as bytes: its head
 * rebuilt without the upgrade offer, then whatever followed it, parsed anew on
 * the same socket. Body, timeouts and keep-alive then work as for any request.
 *
 * Pipelined requests: Node gives the upgrade away while the answers of the
 * requests before it may still be on their way, and a new parser on the
 * socket would queue its answers behind them where none would ever send
 * them (answers went missing, the connection hung). So a declined request is
 * handed back only once every answer on its socket is out.
 */
export function dispatchUpgrades(server: Server, onWebSocket: UpgradeListener): void {
  const answering = trackAnswers(server);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isWebSocketUpgrade(req)) onWebSocket(req, socket, head);
    else answering.whenIdle(socket, () => replayWithoutUpgrade(server, req, socket, head));
  });
}

/** Answers in progress per socket, and what waits for a socket to have none. */
function trackAnswers(server: Server) {
  const sockets = new WeakMap<Duplex, { answers: number; idle: Array<() => void> }>();
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = sockets.get(req.socket) ?? { answers: 0, idle: [] };
    sockets.set(req.socket, state);
    state.answers++;
    // 'close' comes after the answer is out, or when the socket went away first.
    res.once('close', () => {
      if (--state.answers === 0) for (const run of state.idle.splice(0)) run();
    });
  });
  return {
    whenIdle(socket: Duplex, run: () => void): void {
      const state = sockets.get(socket);
      if (!state || state.answers === 0) return run();
      // Node took its error listener with the upgrade: a reset while waiting must not be an uncaught error.
      const onError = () => socket.destroy();
      socket.on('error', onError);
      state.idle.push(() => {
        socket.removeListener('error', onError);
        run();
      });
    },
  };
}

function replayWithoutUpgrade(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  if (!socket.readable || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.unshift(Buffer.concat([Buffer.from(headWithoutUpgrade(req), 'latin1'), head]));
  server.emit('connection', socket);
}

/** The request head as received, minus the `Upgrade` header and the `upgrade` token of `Connection`. */
function headWithoutUpgrade(req: IncomingMessage): string {
  // Node read the head as latin1 (one char per byte), so it goes back byte for byte.
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    let value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') continue;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && token.toLowerCase() !== 'upgrade')
        .join(', ');
      if (value === '') continue;
    }
    text += `${name}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}
