import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID_MAX_LENGTH, type EchoFrame, type ErrorFrame, type RegisteredSession } from '../../protocol/wire.js';
import { MAX_FRAME_DEPTH } from '../ws/frames.js';
import { api, history, register, useTestServer, type TestClient } from './harness.js';
import { unicodeChar, unicodeText } from './unicode-arbitraries.js';

const LIMIT = 4096;

type Outcome =
  | { kind: 'echo'; id: string | null; text: string }
  | { kind: 'error'; code: 'invalid_json' | 'invalid_frame'; id: string | null }
  | { kind: 'close'; code: 1009 };

/** Every string in a JSON value, keys included, is well-formed: the reference, written recursively. */
function allWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(allWellFormed);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).every(([key, item]) => key.isWellFormed() && allWellFormed(item));
  }
  return true;
}

/** Levels of arrays and objects, the frame itself included: the reference, written recursively. */
function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

const validId = (id: unknown): id is string =>
  typeof id === 'string' && id.length >= 1 && id.length <= CLIENT_ID_MAX_LENGTH && id.isWellFormed();

/** What the README promises for one text frame, from the frame alone. */
function expectedOutcome(raw: string): Outcome {
  const wire = Buffer.from(raw, 'utf8'); // what the socket carries: a lone surrogate goes out as U+FFFD
  if (wire.length > LIMIT) return { kind: 'close', code: 1009 };
  let value: unknown;
  try {
    value = JSON.parse(wire.toString('utf8'));
  } catch {
    return { kind: 'error', code: 'invalid_json', id: null };
  }
  const frame = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const id = validId(frame.id) ? frame.id : null;
  const shapeOk =
    frame.type === 'send' && typeof frame.text === 'string' && (frame.id === undefined || frame.id === null || validId(frame.id));
  if (!shapeOk || !allWellFormed(value) || depth(value) > MAX_FRAME_DEPTH) return { kind: 'error', code: 'invalid_frame', id };
  return { kind: 'echo', id, text: frame.text as string };
}

const anyString = fc.oneof(unicodeText(30), fc.string({ maxLength: 30 }), fc.constantFrom('send', '', 'x'.repeat(CLIENT_ID_MAX_LENGTH + 1)));
const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: unicodeChar });
const field = fc.oneof(anyString, anyJson, fc.constantFrom(null, undefined));
/** Frames close to a send frame: each field right, wrong, missing, or of another type, plus extra fields. */
const sendLike = fc
  .record(
    { type: fc.oneof(fc.constant('send'), field), id: fc.oneof(anyString, field), text: fc.oneof(anyString, field), extra: anyJson },
    { requiredKeys: [] },
  )
  .map((frame) => JSON.stringify(frame));
/** Deeply nested arrays or objects, alone, as the text, or in an extra field of a send frame (around the depth limit too). */
const nested = fc
  .tuple(fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 28, max: 36 })), fc.boolean(), fc.constantFrom('alone', 'text', 'extra'))
  .map(([levels, objects, where]) => {
    const deep = objects ? `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}` : `${'['.repeat(levels)}${']'.repeat(levels)}`;
    if (where === 'alone') return deep;
    return where === 'text' ? `{"type":"send","id":null,"text":${deep}}` : `{"type":"send","id":"n${levels}","text":"x","extra":${deep}}`;
  });
/** Send frames whose strings are random Unicode, ill-formed now and then. */
const sendWithRandomStrings = fc
  .record({ id: fc.oneof(fc.constant(null), unicodeText(20), fc.string({ minLength: 1, maxLength: 8 })), text: unicodeText(60) })
  .map(({ id, text }) => JSON.stringify({ type: 'send', id, text }));
const frames = fc.oneof(
  { arbitrary: sendWithRandomStrings, weight: 4 },
  { arbitrary: sendLike, weight: 4 },
  { arbitrary: anyJson.map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: nested, weight: 1 },
  { arbitrary: unicodeText(60), weight: 1 }, // not JSON, mostly
  { arbitrary: fc.string({ unit: 'binary', minLength: LIMIT - 100, maxLength: LIMIT + 100 }).map((t) => JSON.stringify({ type: 'send', text: t })), weight: 1 },
);

describe('property: any JSON-mode text frame gets the documented answer on a real connection', () => {
  const t = useTestServer({ maxMessageBytes: LIMIT }, 'all');
  let session: RegisteredSession;
  beforeAll(async () => {
    session = await register(t.server, 'frames');
  });

  it('echo, invalid_json, invalid_frame or close 1009, and nothing else; the server keeps storing', async () => {
    const echoesById = new Map<string, EchoFrame>();
    let lastSeq = 0;
    let client: TestClient | undefined;
    const open = async (): Promise<TestClient> => {
      const c = await t.connect(session.id, { token: session.token, json: true });
      expect(await c.nextJson()).toMatchObject({ type: 'ready', lastSeq });
      return c;
    };

    await fc.assert(
      fc.asyncProperty(frames, async (raw) => {
        client ??= await open();
        const expected = expectedOutcome(raw);
        client.send(raw);
        if (expected.kind === 'close') {
          expect((await client.closed).code).toBe(1009);
          client = undefined;
          return;
        }
        const answer = await client.nextJson<EchoFrame | ErrorFrame>();
        if (expected.kind === 'error') {
          expect(answer, raw.slice(0, 200)).toEqual({ type: 'error', code: expected.code, message: expect.any(String), id: expected.id });
          return;
        }
        const original = expected.id === null ? undefined : echoesById.get(expected.id);
        if (original) {
          expect(answer).toEqual(original); // a resent id: its first echo again
          return;
        }
        expect(answer, raw.slice(0, 200)).toEqual({
          type: 'echo',
          seq: ++lastSeq,
          id: expected.id,
          text: `${session.id}: ${expected.text}`,
          at: expect.any(String),
        });
        if (expected.id !== null) echoesById.set(expected.id, answer as EchoFrame);
      }),
      { numRuns: 400 },
    );

    // Still up, and a valid message is stored and echoed on a new connection.
    expect((await api(t.server, '/healthz')).status).toBe(200);
    const after = await open();
    after.send({ type: 'send', id: 'after-fuzz', text: 'still here' });
    expect(await after.nextJson()).toMatchObject({ type: 'echo', seq: lastSeq + 1, id: 'after-fuzz', text: `${session.id}: still here` });
    const newest = (await history(t.server, session.id, session.token, '?limit=500')).messages;
    expect(newest.at(-1)).toMatchObject({ seq: lastSeq + 1, id: 'after-fuzz', body: 'still here' });
    expect(newest.map((m) => m.seq)).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i + 1).slice(-500));
  });
});
