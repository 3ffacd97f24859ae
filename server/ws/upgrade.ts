import type { IncomingMessage } from 'node:http';
import { SEQ_MAX, SUBPROTOCOL, WS_PATH_PREFIX } from '../../protocol/wire.js';
import { presentedToken, tokenAttempted } from '../auth.js';
import { AppError, badRequest, methodNotAllowed, notFound } from '../domain/errors.js';
import { EPOCH_PATTERN } from '../domain/epoch.js';
import { requireSessionId } from '../domain/session-id.js';
import { requestTarget } from '../request-target.js';

export type WireMode = 'text' | 'json';

/** What an upgrade asks for, read from the request alone. */
export interface UpgradeRequest {
  sessionId: string;
  /** The token presented (header, query or cookie), not yet checked. */
  token: string | undefined;
  /** A Bearer header or a `?token=` was sent, even an empty one (auth.ts tokenAttempted). */
  tokenAttempted: boolean;
  mode: WireMode;
  /** JSON mode only: replay messages with seq > afterSeq before `ready`. */
  afterSeq: number | null;
  /** With afterSeq: the epoch of the history the client holds (`&epoch=`); null when not given. */
  epoch: string | null;
}

/** RFC 7230 §3.2.6 token: what a subprotocol name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A Sec-WebSocket-Key: 16 bytes in base64 (RFC 6455 §4.1). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
const invalidHandshake = (message: string) => badRequest('invalid_handshake', message);

/**
 * Refuses, as the service's own JSON refusal, every handshake the ws library
 * would refuse itself (with a text/html body of its own): a method other than
 * GET, a malformed key, a version other than 13, a malformed subprotocol
 * list. The same rules as ws 8's `handleUpgrade`, checked first, except that
 * version 8 (a draft's, which ws still takes) is refused: RFC 6455 §4.1 is 13.
 */
function checkHandshake(req: IncomingMessage): string[] {
  if (req.method !== 'GET') throw methodNotAllowed(['GET']);
  if (!KEY.test(req.headers['sec-websocket-key'] ?? '')) {
    throw invalidHandshake('Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455)');
  }
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') {
    throw new AppError('invalid_handshake', 'Sec-WebSocket-Version must be 13 (RFC 6455)', { 'Sec-WebSocket-Version': '13' });
  }
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  const protocols = header.split(',').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (!protocols.every((p) => TOKEN.test(p)) || new Set(protocols).size !== protocols.length) {
    throw invalidHandshake('Sec-WebSocket-Protocol must be a comma-separated list of distinct names');
  }
  return protocols;
}

/**
 * Reads an upgrade before the 101, without the database: the handshake is
 * one ws takes, the path names a valid session ID, and the options fit the
 * mode. Throws the AppError whose status refuses it; the session and its
 * token are checked by the caller (the session service).
 */
export function readUpgrade(req: IncomingMessage): UpgradeRequest {
  const { path, query } = requestTarget(req.url);
  // The path first: a 405's Allow names what the path takes (GET), true only of /ws/{ID}.
  if (!path.startsWith(WS_PATH_PREFIX)) {
    throw notFound('not_found', `WebSocket endpoint is ${WS_PATH_PREFIX}{ID}`);
  }
  const protocols = checkHandshake(req);
  const sessionId = requireSessionId(path.slice(WS_PATH_PREFIX.length));

  if (protocols.length > 0 && !protocols.includes(SUBPROTOCOL)) {
    throw badRequest('unsupported_subprotocol', `supported subprotocol: ${SUBPROTOCOL} (or none for text mode)`);
  }
  const mode: WireMode = protocols.length > 0 ? 'json' : 'text';

  let afterSeq: number | null = null;
  const after = query.get('after');
  if (after !== null) {
    if (mode !== 'json') throw badRequest('invalid_after', `?after= needs the ${SUBPROTOCOL} subprotocol`);
    if (!/^\d{1,10}$/.test(after) || Number(after) > SEQ_MAX) {
      throw badRequest('invalid_after', `?after= must be a whole number from 0 to ${SEQ_MAX}`);
    }
    afterSeq = Number(after);
  }

  const epoch = query.get('epoch');
  if (epoch !== null) {
    if (afterSeq === null) throw badRequest('invalid_epoch', '&epoch= goes with ?after=: the epoch of the history held up to that seq');
    if (!EPOCH_PATTERN.test(epoch)) throw badRequest('invalid_epoch', '&epoch= must be the epoch a ready frame gave (base64url)');
  }

  return { sessionId, token: presentedToken(req, query, sessionId), tokenAttempted: tokenAttempted(req, query), mode, afterSeq, epoch };
}
