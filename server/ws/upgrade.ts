import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBPROTOCOL, WS_PATH_PREFIX } from '../../protocol/wire.js';
import { authorizeSession, presentedToken } from '../auth.js';
import type { AppError} from '../domain/errors.js';
import { badRequest, notFound } from '../domain/errors.js';
import { requireSessionId } from '../domain/session-id.js';
import { requestTarget } from '../request-target.js';
import type { SessionRecord, SessionRepo } from '../store/session-repo.js';

export type WireMode = 'text' | 'json';

export interface UpgradeTarget {
  session: SessionRecord;
  mode: WireMode;
  /** JSON mode only: replay messages with seq > afterSeq before `ready`. */
  afterSeq: number | null;
}

const MAX_SEQ = 0xffffffff;

/** Offered subprotocols, from the raw header. */
function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header ? header.split(',').map((p) => p.trim()).filter(Boolean) : [];
}

/**
 * Decides an upgrade before the 101, against the database: the path names a
 * valid, existing session, the request carries its token, and the options fit
 * the mode. Throws the AppError whose status refuses it.
 */
export function authorizeUpgrade(req: IncomingMessage, sessions: SessionRepo): UpgradeTarget {
  const { path, query } = requestTarget(req.url);
  if (!path.startsWith(WS_PATH_PREFIX)) {
    throw notFound('not_found', `WebSocket endpoint is ${WS_PATH_PREFIX}{ID}`);
  }
  const sessionId = requireSessionId(path.slice(WS_PATH_PREFIX.length));

  const protocols = offeredProtocols(req);
  if (protocols.length > 0 && !protocols.includes(SUBPROTOCOL)) {
    throw badRequest('unsupported_subprotocol', `supported subprotocol: ${SUBPROTOCOL} (or none for text mode)`);
  }
  const mode: WireMode = protocols.length > 0 ? 'json' : 'text';

  let afterSeq: number | null = null;
  const after = query.get('after');
  if (after !== null) {
    if (mode !== 'json') throw badRequest('invalid_after', `?after= needs the ${SUBPROTOCOL} subprotocol`);
    if (!/^\d{1,10}$/.test(after) || Number(after) > MAX_SEQ) {
      throw badRequest('invalid_after', `?after= must be a whole number from 0 to ${MAX_SEQ}`);
    }
    afterSeq = Number(after);
  }

  const session = authorizeSession(sessions, sessionId, presentedToken(req, query, sessionId));
  return { session, mode, afterSeq };
}

/** Answers a refused upgrade with a plain HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: AppError): void {
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  const headers = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    ...err.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n${head}\r\n${body}`);
    socket.once('finish', () => socket.destroy());
  } else {
    socket.destroy();
  }
}
