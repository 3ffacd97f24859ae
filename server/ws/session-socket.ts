import { WebSocket } from 'ws';
import { CloseCode } from '../../protocol/wire.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { closeReason } from './frames.js';

/** Protocol error from RFC 6455 §7.4.1 (not in protocol's CloseCode: the server never chooses it itself). */
export const PROTOCOL_ERROR = 1002;

/**
 * The WebSocket class the hub's server makes (ws's `WebSocket` option). When
 * ws closes a connection for a frame it refused (too large, not UTF-8, a
 * protocol violation, too many fragments) it gives a code and no reason;
 * this fills in the reason every other close of the service carries,
 * `"<error code>: <message>"`, so a client can tell why. A close with a
 * reason of its own (the service's, or the peer's echoed) is left as it is.
 */
export function sessionSocketClass(maxMessageBytes: number): typeof WebSocket {
  const reasons: Record<number, [ErrorCode, string]> = {
    [CloseCode.messageTooBig]: ['message_too_large', `messages are at most ${maxMessageBytes} bytes; not stored`],
    [CloseCode.invalidPayload]: ['invalid_utf8', 'a text message was not valid UTF-8; not stored'],
    [PROTOCOL_ERROR]: ['protocol_violation', 'a frame broke the WebSocket protocol (RFC 6455)'],
    [CloseCode.policyViolation]: ['message_too_fragmented', 'a message came in too many fragments or chunks; not stored'],
  };
  return class SessionSocket extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      const fill = data === undefined && code !== undefined ? reasons[code] : undefined;
      const wasOpen = this.readyState === WebSocket.OPEN;
      super.close(code, fill ? closeReason(...fill) : data);
      // The close handshake may take up to a heartbeat with a peer that never answers; what counts
      // open sockets (presence) stops counting this one now.
      if (wasOpen) this.emit('closing');
    }
  };
}
