import { describe, expect, it } from 'vitest';
import { useTestServer } from '../../server/test/harness.js';
import { ClientError, sendFrame, utf8Length, type Message } from '../src/index.js';
import { contiguous, nodeClient, record, wholeHistory } from './helpers.js';

const MAX = 1024;
const RATE = 10;
const t = useTestServer({ maxMessageBytes: MAX, wsRateLimit: RATE });

/** A text whose send frame (with a 32-character id) takes exactly `bytes` bytes, made of multi-byte and escaped characters. */
function textOfFrameBytes(bytes: number): string {
  const overhead = utf8Length(sendFrame('0'.repeat(32), ''));
  let text = '';
  // "é" is 2 bytes, a quote 2 once escaped, "😀" 4: the measure must count as the server does.
  for (const piece of ['é', '"', '😀', 'a']) {
    while (overhead + utf8Length(JSON.stringify(text + piece)) - 2 <= bytes && text.length < bytes) {
      if (overhead + utf8Length(JSON.stringify(text + piece)) - 2 > bytes - 40 && piece !== 'a') break;
      text += piece;
    }
  }
  expect(utf8Length(sendFrame('0'.repeat(32), text))).toBe(bytes);
  return text;
}

describe('limits surface as typed errors', () => {
  it('rejects a message over maxMessageBytes with message_too_big, measured as the server measures, and keeps the connection', async () => {
    const client = nodeClient(t.server.httpUrl);
    const states = record(client, 'state');
    await client.open('l-size');
    // Before the first `ready` the limit is not known: the check happens when it is.
    const early = client.send(textOfFrameBytes(MAX + 1));
    const fine = client.send('fine');
    await client.connect();
    await expect(early).rejects.toMatchObject({ code: 'message_too_big', retryable: false });
    expect((await fine).seq).toBe(1);

    const atLimit = textOfFrameBytes(MAX);
    expect((await client.send(atLimit)).body).toBe(atLimit);
    const error = await client.send(textOfFrameBytes(MAX + 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'message_too_big', retryable: false });
    expect((await client.send('still connected')).seq).toBe(3);
    // Never closed with 1009, never reconnected.
    expect(states.map((s) => s.status)).toEqual(['connecting', 'open']);
    expect((await wholeHistory(client)).map((m) => m.body)).toEqual(['fine', atLimit, 'still connected']);
  });

  it('rejects text that is not well-formed Unicode with invalid_frame, as the server would', async () => {
    const client = nodeClient(t.server.httpUrl);
    await client.open('l-utf');
    await expect(client.send('lone \ud800 surrogate')).rejects.toMatchObject({ code: 'invalid_frame', retryable: false });
  });

  it('resends what the rate limit refused: every promise resolves once, each message is stored once, rate_limited is reported', async () => {
    const client = nodeClient(t.server.httpUrl, { backoff: { minMs: 100, maxMs: 1000 } });
    const errors = record(client, 'error');
    await client.open('l-rate');
    await client.connect();
    const count = 6 * RATE;
    let settled = 0;
    const sends = Array.from({ length: count }, (_, i) =>
      client.send(`burst ${i}`).finally(() => settled++),
    );
    const acked: Message[] = await Promise.all(sends);
    expect(settled).toBe(count);
    // The server refused some (its burst is 2 x RATE) and said so with the message's id.
    const refused = errors.filter((e) => e.code === 'rate_limited');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.retryable && typeof e.messageId === 'string')).toBe(true);
    const stored = await wholeHistory(client);
    expect(stored).toHaveLength(count);
    expect(contiguous(stored)).toBe(true);
    expect(new Set(acked.map((m) => m.seq)).size).toBe(count);
    expect(stored.map((m) => m.body).sort()).toEqual(acked.map((m) => m.body).sort());
  });
});
