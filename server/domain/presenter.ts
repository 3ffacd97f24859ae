/**
 * The one mapping from stored messages to what clients see: the echo frame
 * of the WebSocket, the history item and the search result of HTTP. All use
 * protocol's echoText, so the `"<ID>: <body>"` text has one definition.
 */
import { SESSION_ID_MAX_LENGTH } from '../../protocol/session-id.js';
import {
  CLIENT_ID_MAX_LENGTH,
  SEQ_MAX,
  echoText,
  type EchoFrame,
  type HistoryMessage,
  type SearchResult,
} from '../../protocol/wire.js';
import type { SearchHit, StoredMessage } from './model.js';

export function echoFrame(sessionId: string, message: StoredMessage): EchoFrame {
  return {
    type: 'echo',
    seq: message.seq,
    id: message.clientId,
    text: echoText(sessionId, message.body),
    at: new Date(message.at).toISOString(),
  };
}

export function historyMessage(sessionId: string, message: StoredMessage): HistoryMessage {
  return {
    seq: message.seq,
    id: message.clientId,
    body: message.body,
    text: echoText(sessionId, message.body),
    at: new Date(message.at).toISOString(),
  };
}

export function searchResult(sessionId: string, { snippet, elidedBefore, elidedAfter, ...message }: SearchHit): SearchResult {
  return { ...historyMessage(sessionId, message), snippet, elidedBefore, elidedAfter };
}

/** A server frame's header: 2 bytes, plus 8 for a 64-bit length (RFC 6455 §5.2; servers do not mask). */
const FRAME_HEADER_MAX_BYTES = 10;
/** JSON.stringify writes a control character (one UTF-8 byte) as `\u00XX`: six. */
const JSON_ESCAPE_GROWTH = 6;

/**
 * The most bytes one echo of a message of up to `maxMessageBytes` (UTF-8)
 * can take on the wire: the JSON mode's echo of a body made only of control
 * characters (a text-mode client can send them raw), with the longest session
 * ID, client id, seq and date, plus the frame header. Text-mode echoes are
 * smaller (`"<ID>: "` and the body as sent).
 */
export function maxEchoFrameBytes(maxMessageBytes: number): number {
  const envelope = echoFrame('x'.repeat(SESSION_ID_MAX_LENGTH), {
    seq: SEQ_MAX,
    clientId: '\u0001'.repeat(CLIENT_ID_MAX_LENGTH),
    body: '',
    at: 8.64e15, // the latest Date: "+275760-09-13T00:00:00.000Z"
  });
  return FRAME_HEADER_MAX_BYTES + Buffer.byteLength(JSON.stringify(envelope)) + JSON_ESCAPE_GROWTH * maxMessageBytes;
}
