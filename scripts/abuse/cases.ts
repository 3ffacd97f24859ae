/**
 * The abuse cases, as data: each attacks a running server and reports what it
 * answered. The same list drives `npm run test:abuse` (a table) and
 * server/test/abuse.test.ts (one test per case).
 *
 * Frame-level cases follow RFC 6455: a protocol error is close 1002 (§7.4.1),
 * non-UTF-8 text 1007 (§8.1), a message too big 1009; the project adds 1003
 * for binary frames and 1008 for policy (fragment floods, rate limit).
 */
import { appCases } from './app-cases.js';
import { edgeCases } from './edge-cases.js';
import { dataCases } from './data-cases.js';
import { limitCases } from './limit-cases.js';
import { Op, RSV1, RSV2, RSV3, closePayload, type FrameSpec } from './raw-ws.js';
import { echoOutcome, openSession, outcome, type AbuseCase, type AbuseLimits, type AbuseTarget } from './target.js';

export type { AbuseCase, AbuseTarget } from './target.js';

type Frames = Array<FrameSpec | Buffer>;

/** Opens a connection, sends `frames`, reports how the server closed it. */
function violation(
  name: string,
  expected: string,
  frames: (limits: AbuseLimits) => Frames,
  knownDeviation?: AbuseCase['knownDeviation'],
): AbuseCase {
  return {
    name,
    expected,
    ...(knownDeviation ? { knownDeviation } : {}),
    async run(t) {
      const { ws } = await openSession(t);
      ws.send(...frames(t.limits));
      return outcome(ws);
    },
  };
}

/** Opens a connection, sends `frames` (one message), expects its byte-exact echo. */
function accepted(name: string, body: Buffer | string, frames: Frames): AbuseCase {
  return {
    name,
    expected: 'echo ok',
    async run(t) {
      const { session, ws } = await openSession(t);
      ws.send(...frames);
      return echoOutcome(ws, session.id, body);
    },
  };
}

/** `count` fragments of one text message: the first, continuations, the last with FIN. */
function fragments(parts: Array<Buffer | string>): FrameSpec[] {
  return parts.map((payload, i) => ({
    opcode: i === 0 ? Op.text : Op.continuation,
    payload,
    fin: i === parts.length - 1,
  }));
}

const text = (payload: Buffer | string, extra: Partial<FrameSpec> = {}): FrameSpec => ({ opcode: Op.text, payload, ...extra });
const close = (payload: Buffer): FrameSpec => ({ opcode: Op.close, payload });
const bytes = (...values: number[]) => Buffer.from(values);

/** Close codes a peer may not send (§7.4.1, §7.4.2): out of range, reserved, or meant only for APIs. */
const INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

async function pingCase(t: AbuseTarget, size: number): Promise<string> {
  const { ws } = await openSession(t);
  const payload = Buffer.from(Array.from({ length: size }, (_, i) => (i * 37 + 11) & 0xff));
  ws.send({ opcode: Op.ping, payload });
  const frame = await ws.next();
  ws.send(close(closePayload(1000)));
  await ws.closed();
  if (!frame) return 'ended without a pong';
  if (frame.opcode !== Op.pong) return `opcode 0x${frame.opcode.toString(16)}`;
  return frame.payload.equals(payload) ? `pong identical (${size} B)` : `pong differs (${frame.payload.length} B)`;
}

export const protocolCases: AbuseCase[] = [
  // Framing.
  violation('unmasked client frame', 'close 1002 protocol_violation', () => [text('hello', { mask: false })]),
  violation('RSV1 set (no extension negotiated)', 'close 1002 protocol_violation', () => [text('hello', { rsv: RSV1 })]),
  violation('RSV2 set', 'close 1002 protocol_violation', () => [text('hello', { rsv: RSV2 })]),
  violation('RSV3 set', 'close 1002 protocol_violation', () => [text('hello', { rsv: RSV3 })]),
  violation('reserved data opcode 0x3', 'close 1002 protocol_violation', () => [{ opcode: 0x3, payload: 'x' }]),
  violation('reserved control opcode 0xB', 'close 1002 protocol_violation', () => [{ opcode: 0xb, payload: 'x' }]),
  violation('ping with a 126-byte payload', 'close 1002 protocol_violation', () => [{ opcode: Op.ping, payload: Buffer.alloc(126, 1) }]),
  violation('close with a 126-byte payload', 'close 1002 protocol_violation', () => [close(closePayload(1000, 'r'.repeat(124)))]),
  violation('fragmented ping (FIN=0)', 'close 1002 protocol_violation', () => [{ opcode: Op.ping, payload: 'p', fin: false }]),
  violation('continuation without a start', 'close 1002 protocol_violation', () => [{ opcode: Op.continuation, payload: 'x' }]),
  violation('new text frame while a fragmented message is open', 'close 1002 protocol_violation', () => [
    text('part', { fin: false }),
    text('another'),
  ]),
  violation(
    '64-bit length with the most significant bit set',
    'close 1002 protocol_violation',
    () => [Buffer.concat([bytes(0x81, 0xff), Buffer.from('8000000000000001', 'hex'), Buffer.alloc(4)])],
    {
      got: 'close 1009 message_too_large',
      why:
        'RFC 6455 §5.2: the MSB of a 64-bit length MUST be 0, a protocol error (1002); ws checks the size first ' +
        '(over 2^53-1 and over maxPayload) and answers 1009. The connection still fails before any payload is read.',
    },
  ),
  violation('frame declaring 1 TiB, no payload sent', 'close 1009 message_too_large', () => [text(Buffer.alloc(0), { declaredLength: 2n ** 40n })]),

  // Close frames.
  ...INVALID_CLOSE_CODES.map((code) => violation(`close code ${code}`, 'close 1002 protocol_violation', () => [close(closePayload(code))])),
  violation('close with a 1-byte payload', 'close 1002 protocol_violation', () => [close(bytes(0x03))]),
  violation('close reason with invalid UTF-8', 'close 1007 invalid_utf8', () => [close(closePayload(1000, bytes(0x61, 0xff, 0x62)))]),
  violation('close 1000 with a UTF-8 reason (valid)', 'close 1000', () => [close(closePayload(1000, 'bye \u{1F44B}'))]),
  violation('close 4999 (valid, private use)', 'close 4999', () => [close(closePayload(4999))]),
  violation('close without a code (valid)', 'close 1005', () => [close(Buffer.alloc(0))]),

  // UTF-8.
  violation('invalid UTF-8: lone continuation byte', 'close 1007 invalid_utf8', () => [text(bytes(0x61, 0x80, 0x62))]),
  violation('invalid UTF-8: overlong "/"', 'close 1007 invalid_utf8', () => [text(bytes(0xc0, 0xaf))]),
  violation('invalid UTF-8: encoded surrogate U+D800', 'close 1007 invalid_utf8', () => [text(bytes(0xed, 0xa0, 0x80))]),
  violation('invalid UTF-8: above U+10FFFF', 'close 1007 invalid_utf8', () => [text(bytes(0xf4, 0x90, 0x80, 0x80))]),
  violation('invalid UTF-8: truncated at the end', 'close 1007 invalid_utf8', () => [text(bytes(0x61, 0xe2, 0x82))]),
  violation('invalid UTF-8 across fragments', 'close 1007 invalid_utf8', () => fragments([bytes(0x6f, 0x6b, 0xf0, 0x9f), 'A'])),
  accepted('emoji split across fragments (valid)', '\u{1F600}!', fragments([bytes(0xf0, 0x9f), bytes(0x98, 0x80, 0x21)])),

  // Data the server does not take.
  violation('binary frame', 'close 1003 invalid_frame', () => [{ opcode: Op.binary, payload: bytes(1, 2, 3) }]),
  violation('fragmented binary message', 'close 1003 invalid_frame', () => [
    { opcode: Op.binary, payload: bytes(1), fin: false },
    { opcode: Op.continuation, payload: bytes(2) },
  ]),
  violation('message of MAX_MESSAGE_BYTES + 1', 'close 1009 message_too_large', (l) => [text(Buffer.alloc(l.maxMessageBytes + 1, 0x61))]),
  violation('MAX_MESSAGE_BYTES + 1 reached through fragments', 'close 1009 message_too_large', (l) => {
    const third = Math.ceil((l.maxMessageBytes + 1) / 3);
    return fragments([Buffer.alloc(third, 0x61), Buffer.alloc(third, 0x62), Buffer.alloc(third, 0x63)]);
  }),
  {
    name: 'message of exactly MAX_MESSAGE_BYTES (valid)',
    expected: 'echo ok',
    async run(t) {
      const { session, ws } = await openSession(t);
      const body = Buffer.alloc(t.limits.maxMessageBytes, 0x61);
      ws.send(text(body));
      return echoOutcome(ws, session.id, body);
    },
  },
  violation('flood of tiny fragments (> WS_MAX_FRAGMENTS)', 'close 1008 message_too_fragmented', (l) =>
    fragments(Array.from({ length: l.wsMaxFragments * 40 }, () => 'x')),
  ),
  violation('flood of empty fragments', 'close 1008 message_too_fragmented', (l) =>
    fragments(Array.from({ length: l.wsMaxFragments * 40 }, () => Buffer.alloc(0))),
  ),
  {
    name: 'exactly WS_MAX_FRAGMENTS fragments (valid)',
    expected: 'echo ok',
    async run(t) {
      const { session, ws } = await openSession(t);
      const parts = Array.from({ length: t.limits.wsMaxFragments }, (_, i) => String.fromCharCode(97 + (i % 26)));
      ws.send(...fragments(parts));
      return echoOutcome(ws, session.id, parts.join(''));
    },
  },

  // Control frames that are fine.
  { name: '125-byte ping', expected: 'pong identical (125 B)', run: (t) => pingCase(t, 125) },
  { name: 'empty ping', expected: 'pong identical (0 B)', run: (t) => pingCase(t, 0) },
  accepted('ping between two fragments (valid)', 'ab', [
    text('a', { fin: false }),
    { opcode: Op.ping, payload: 'mid' },
    { opcode: Op.continuation, payload: 'b' },
  ]),
  accepted('unsolicited pong, then a message (valid)', 'after pong', [{ opcode: Op.pong, payload: 'x' }, text('after pong')]),
];

export const cases: AbuseCase[] = [...protocolCases, ...appCases, ...dataCases, ...limitCases, ...edgeCases];
