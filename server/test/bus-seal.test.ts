/**
 * Sealed bodies on the bus (bus/seal.ts, bus/wire.ts sealedMessages): what
 * opens and what does not. The buses that carry them are tested in
 * bus-cluster.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../bus/seal.js';
import { sealedMessages } from '../bus/wire.js';
import type { CommittedEvent } from '../domain/ports.js';

const instance = () => randomBytes(16).toString('hex');

describe('createSealer', () => {
  const key = randomBytes(32);
  const [me, peer] = [instance(), instance()];
  const sender = createSealer(key, me);
  const receiver = createSealer(key, peer);

  it('opens what a process with the same key sealed, bound to the same data', () => {
    const sealed = sender.seal('1\ns1\n3\n3', 'hello, wörld \u0000 ✓');
    expect(receiver.open(me, '1\ns1\n3\n3', sealed)).toBe('hello, wörld \u0000 ✓');
    expect(sender.open(me, '1\ns1\n3\n3', sealed)).toBe('hello, wörld \u0000 ✓');
  });

  it('never reuses a nonce: the same plaintext seals differently each time, and the text is not in the payload', () => {
    const seals = Array.from({ length: 50 }, () => sender.seal('a', 'the same secret text'));
    expect(new Set(seals).size).toBe(50);
    expect(new Set(seals.map((s) => Buffer.from(s, 'base64').subarray(0, 12).toString('hex'))).size).toBe(50);
    for (const s of seals) expect(Buffer.from(s, 'base64').toString('latin1')).not.toContain('secret');
  });

  it('does not open with other bound data, another key, another sender ID, or a changed byte', () => {
    const sealed = sender.seal('1\ns1\n3\n3', 'hello');
    expect(receiver.open(me, '1\ns1\n3\n4', sealed)).toBeUndefined();
    expect(receiver.open(me, '2\ns1\n3\n3', sealed)).toBeUndefined();
    expect(createSealer(randomBytes(32), peer).open(me, '1\ns1\n3\n3', sealed)).toBeUndefined();
    expect(receiver.open(instance(), '1\ns1\n3\n3', sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64');
    for (const at of [0, 12, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at]! ^= 1;
      expect(receiver.open(me, '1\ns1\n3\n3', changed.toString('base64'))).toBeUndefined();
    }
    expect(receiver.open(me, '1\ns1\n3\n3', bytes.subarray(0, 20).toString('base64'))).toBeUndefined();
    expect(receiver.open(me, '1\ns1\n3\n3', 'not base64 at all!')).toBeUndefined();
    expect(receiver.open('x', '1\ns1\n3\n3', sealed)).toBeUndefined();
    expect(receiver.open('zz'.repeat(16), '1\ns1\n3\n3', sealed)).toBeUndefined();
    // One key per ID: the same ID with zeros or an odd digit added (the same HKDF salt once padded or decoded) does not open it.
    for (const alias of [`${me}0`, `${me}00`, `${me}000000`, me.toUpperCase()]) expect(receiver.open(alias, '1\ns1\n3\n3', sealed)).toBeUndefined();
  });

  it('derives at most newPeersPerSecond keys a second for processes not seen yet; known ones open all the while', () => {
    let now = 5_000;
    const budgeted = createSealer(key, peer, { newPeersPerSecond: 3, now: () => now });
    const sealed = sender.seal('d', 'known');
    expect(budgeted.open(me, 'd', sealed)).toBe('known'); // one of the three
    for (let i = 0; i < 2; i++) expect(budgeted.open(instance(), 'd', sealed)).toBeUndefined(); // a forger's fresh IDs
    const newcomer = instance();
    const fromNewcomer = createSealer(key, newcomer).seal('d', 'new');
    expect(budgeted.open(newcomer, 'd', fromNewcomer)).toBeUndefined(); // past the budget: not derived
    expect(budgeted.open(me, 'd', sender.seal('d', 'still'))).toBe('still');
    now += 1000;
    expect(budgeted.open(newcomer, 'd', fromNewcomer)).toBe('new');
  });

  it('opens in order only what comes after the last it so opened from that sender: a replay or an older payload does not open', () => {
    const inOrder = createSealer(key, peer);
    const [first, second, third] = [sender.seal('c', '1'), sender.seal('c', '2'), sender.seal('c', '3')];
    expect(inOrder.openInOrder(me, 'c', second)).toBe('2');
    expect(inOrder.openInOrder(me, 'c', second)).toBeUndefined(); // replayed
    expect(inOrder.openInOrder(me, 'c', first)).toBeUndefined(); // older
    expect(inOrder.open(me, 'c', first)).toBe('1'); // `open` keeps no order (sealed bodies are opened lazily, in any order)
    expect(inOrder.openInOrder(me, 'other data', third)).toBeUndefined(); // does not open: the order stays where it was
    expect(inOrder.openInOrder(me, 'c', third)).toBe('3');
    expect(inOrder.openInOrder(me, 'c', 'short')).toBeUndefined();
  });

  it('refuses a key that is not 32 bytes and an instance ID that is not 16 bytes of lowercase hex', () => {
    expect(() => createSealer(randomBytes(16), me)).toThrow(/32 bytes/);
    expect(() => createSealer(key, 'abcdef')).toThrow(/16 bytes/);
    expect(() => createSealer(key, `${me}00`)).toThrow(/16 bytes/);
  });
});

describe('sealedMessages', () => {
  const event: CommittedEvent = { type: 'committed', sessionPk: 1, sessionId: 's1', fromSeq: 3, toSeq: 4 };
  const m = (seq: number, extra: object = {}) => ({ seq, clientId: null, body: `b${seq}`, at: 5, ...extra });

  it('takes exactly the range of the event, in order', () => {
    expect(sealedMessages(event, JSON.stringify([m(3), m(4, { clientId: 'c' })]))).toEqual([m(3), m(4, { clientId: 'c' })]);
  });

  it.each([
    ['one short', [m(3)]],
    ['one too many', [m(3), m(4), m(5)]],
    ['out of order', [m(4), m(3)]],
    ['another range', [m(5), m(6)]],
    ['a repeated seq', [m(3), m(3)]],
    ['an extra key', [m(3), m(4, { duplicate: false })]],
    ['a body that is not text', [m(3), m(4, { body: 7 })]],
    ['a negative time', [m(3), m(4, { at: -1 })]],
    ['not an array', { 3: m(3), 4: m(4) }],
  ])('refuses %s', (_name, value) => {
    expect(sealedMessages(event, JSON.stringify(value))).toBeUndefined();
  });

  it('refuses what is not JSON', () => {
    expect(sealedMessages(event, '[{"seq":3')).toBeUndefined();
  });
});
