import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isValidSessionId } from '../../protocol/session-id.js';
import { SUBPROTOCOL, type EchoFrame, type RegisteredSession } from '../../protocol/wire.js';
import { Op, RawWs, upgradeStatus } from '../../scripts/abuse/raw-ws.js';
import { history, postSession, register, useTestServer } from './harness.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** The ID rule, written again without a regular expression: 1 to 64 characters, each from the alphabet. */
function referenceIsValidId(s: string): boolean {
  if (s.length < 1 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) if (ID_ALPHABET.indexOf(s[i]!) < 0) return false;
  return true;
}

const idChar = fc.constantFrom(...ID_ALPHABET);
/** Characters that look like the alphabet or are famous for breaking parsers. */
const nearMiss = fc.constantFrom(
  ' ', '.', '/', '%', '+', '~', '?', '#', '\u0000', '\n', '\t', 'é', 'ß', 'İ', '\u212A' /* Kelvin K */, '\uFF10' /* fullwidth 0 */,
  '\u200F', '\u202E', '\uFEFF', '😀', '\uD800', '\uDC00', '\u2010' /* hyphen */, '\u2212' /* minus */,
);
const idOfLength = (n: number) => fc.string({ unit: idChar, minLength: n, maxLength: n });
const anyId = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 70 }),
  fc.string({ unit: 'binary-ascii', maxLength: 70 }),
  fc.string({ unit: idChar, maxLength: 70 }),
  fc.constantFrom(0, 1, 63, 64, 65).chain(idOfLength),
  fc.array(fc.oneof({ arbitrary: idChar, weight: 12 }, { arbitrary: nearMiss, weight: 1 }), { maxLength: 66 }).map((a) => a.join('')),
);
const EDGE_IDS = ['', 'a', 'a'.repeat(64), 'a'.repeat(65), '.', '..', '-', '_', 'a b', 'a/b', '%41', 'é', '\u0000', '😀', '\uD800'];

/** The ID as a path segment: percent-encoded (lone surrogates, which encodeURIComponent refuses, as U+FFFD). */
function pathSegment(id: string): string {
  return id.isWellFormed() ? encodeURIComponent(id) : encodeURIComponent(id.toWellFormed());
}

describe('property: the session ID rule', () => {
  it('isValidSessionId accepts exactly the language of the rule', () => {
    for (const id of EDGE_IDS) expect(isValidSessionId(id), JSON.stringify(id)).toBe(referenceIsValidId(id));
    fc.assert(fc.property(anyId, (id) => isValidSessionId(id) === referenceIsValidId(id)), { numRuns: 5000 });
  });

  describe('at the edges', () => {
    const t = useTestServer({}, 'all');
    const tokens = new Map<string, string>();

    /** Registration over HTTP and the upgrade of /ws/{ID} answer as the rule says. */
    async function checkEdges(id: string): Promise<void> {
      const valid = referenceIsValidId(id);
      const res = await postSession(t.server, { id });
      const body = (await res.json()) as RegisteredSession & { error?: { code: string } };
      if (valid) {
        // 409: the same ID came up earlier in the run (the token is then known).
        expect(res.status === 201 || (res.status === 409 && tokens.has(id)), `${JSON.stringify(id)}: ${res.status}`).toBe(true);
        if (res.status === 201) tokens.set(id, body.token);
      } else {
        expect(res.status, JSON.stringify(id)).toBe(400);
        expect(body.error?.code).toBe('invalid_session_id');
      }
      const status = await upgradeStatus({
        host: '127.0.0.1',
        port: t.server.wsPort,
        path: `/ws/${pathSegment(id)}`,
        headers: { authorization: `Bearer ${tokens.get(id) ?? 'no-such-token'}` },
      });
      // The path is read as sent, dot segments too (as HTTP routes read it): "/ws/.." names the invalid ID "..".
      const expected = valid ? 101 : 400;
      expect(status, `upgrade of ${JSON.stringify(id)}`).toBe(expected);
    }

    it('HTTP registration and the WebSocket upgrade agree on edge IDs', async () => {
      for (const id of EDGE_IDS) await checkEdges(id);
    });

    it('HTTP registration and the WebSocket upgrade agree on arbitrary strings', async () => {
      await fc.assert(fc.asyncProperty(anyId, checkEdges), { numRuns: 200 });
    });
  });
});

const LIMIT = 4096;

/** Texts that have broken someone's chat server. */
const SAMPLES = [
  '',
  '\u0000',
  'a\u0000b\u0000',
  '😀',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇫🇷',
  '👍🏽',
  'e\u0301\u0301',
  '\u200F\u05E9\u05DC\u05D5\u05DD \u202Eevil\u202C',
  "'; DROP TABLE messages; --",
  '<script>alert(1)</script>',
  '"\\/\b\f\n\r\t',
  '\uFEFF\uFFFD\uFFFF\u{10FFFF}',
  '{"type":"send","id":"x","text":"y"}',
  '%s%n%x %00 ${x} {{x}}',
];
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => s.isWellFormed()),
  // Long ones, a few KiB of UTF-8 (up to the limit).
  fc.string({ unit: 'grapheme', maxLength: 1000, size: 'large' }),
  fc.string({ unit: 'binary', maxLength: 1000, size: 'large' }).filter((s) => s.isWellFormed()),
  fc.constantFrom(...SAMPLES),
  fc.array(fc.oneof(fc.constantFrom(...SAMPLES), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 12 }).map((a) => a.join('')),
);

/** A text of exactly `bytes` UTF-8 bytes, with 4-byte, 2-byte and NUL characters in it. */
function textOfBytes(bytes: number): string {
  const head = '😀\u0000é👨‍👩‍👧';
  const text = head + 'x'.repeat(bytes - Buffer.byteLength(head));
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

const sendFrame = (id: string, text: string) => JSON.stringify({ type: 'send', id, text });

describe('property: any valid text up to the limit is stored and echoed byte-exact', () => {
  const t = useTestServer({ maxMessageBytes: LIMIT }, 'all');
  let session: RegisteredSession;
  let counter = 0;
  beforeAll(async () => {
    session = await register(t.server, 'texts');
  });

  async function open(json: boolean): Promise<RawWs> {
    const headers: Record<string, string> = { authorization: `Bearer ${session.token}` };
    if (json) headers['sec-websocket-protocol'] = SUBPROTOCOL;
    const ws = await RawWs.open({ host: '127.0.0.1', port: t.server.wsPort, path: `/ws/${session.id}`, headers });
    if (json) expect(JSON.parse((await ws.next())!.payload.toString())).toMatchObject({ type: 'ready' });
    return ws;
  }

  /** The newest stored message is `text`, byte for byte. */
  async function expectStored(text: string): Promise<void> {
    const [newest] = (await history(t.server, session.id, session.token, '?limit=1')).messages;
    expect(Buffer.from(newest!.body).equals(Buffer.from(text))).toBe(true);
    expect(newest!.text).toBe(`${session.id}: ${text}`);
  }

  async function roundTripText(ws: RawWs, text: string): Promise<void> {
    ws.send({ opcode: Op.text, payload: Buffer.from(text) });
    const echo = await ws.next();
    expect(echo?.opcode).toBe(Op.text);
    expect(echo!.payload.equals(Buffer.from(`${session.id}: ${text}`))).toBe(true);
    await expectStored(text);
  }

  async function roundTripJson(ws: RawWs, text: string): Promise<void> {
    const id = `p${++counter}`;
    ws.send({ opcode: Op.text, payload: sendFrame(id, text) });
    const echo = JSON.parse((await ws.next())!.payload.toString('utf8')) as EchoFrame;
    expect(echo).toMatchObject({ type: 'echo', id });
    expect(Buffer.from(echo.text).equals(Buffer.from(`${session.id}: ${text}`))).toBe(true);
    await expectStored(text);
  }

  it('text mode: arbitrary texts', async () => {
    const ws = await open(false);
    for (const sample of SAMPLES) await roundTripText(ws, sample);
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        fc.pre(Buffer.byteLength(text) <= LIMIT);
        await roundTripText(ws, text);
      }),
      { numRuns: 200 },
    );
    ws.destroy();
  });

  it('JSON mode: arbitrary texts', async () => {
    const ws = await open(true);
    for (const sample of SAMPLES) await roundTripJson(ws, sample);
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        fc.pre(Buffer.byteLength(sendFrame(`p${counter + 1}`, text)) <= LIMIT);
        await roundTripJson(ws, text);
      }),
      { numRuns: 200 },
    );
    ws.destroy();
  });

  it('text mode: a text of exactly the limit is echoed; one byte more is closed with 1009', async () => {
    const ws = await open(false);
    await roundTripText(ws, textOfBytes(LIMIT));
    ws.send({ opcode: Op.text, payload: textOfBytes(LIMIT + 1) });
    expect((await ws.closed())?.code).toBe(1009);
  });

  it('JSON mode: a frame of exactly the limit is echoed; one byte more is closed with 1009', async () => {
    const ws = await open(true);
    const envelope = Buffer.byteLength(sendFrame(`p${counter + 1}`, ''));
    // U+0000 is 1 byte of text but 6 of JSON ("\u0000"): the frame, not the text, meets the limit.
    const atLimit = textOfBytes(LIMIT - envelope - 5);
    expect(Buffer.byteLength(sendFrame(`p${counter + 1}`, atLimit))).toBe(LIMIT);
    await roundTripJson(ws, atLimit);
    ws.send({ opcode: Op.text, payload: sendFrame(`p${counter + 1}`, `${atLimit}x`) });
    expect((await ws.closed())?.code).toBe(1009);
  });
});
