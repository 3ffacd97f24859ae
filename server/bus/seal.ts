/**
 * Sealed bodies on the bus between nodes. A `committed` hint may carry its
 * messages when they fit, so the receiving node sends them at once instead
 * of reading them back from the store (README, Scaling out: that read was
 * the longest hop of cross-node delivery). A bus channel is not private
 * (any role that can connect to the database may LISTEN and NOTIFY; any
 * client of the Redis server may SUBSCRIBE and PUBLISH), so the bodies are
 * sealed with AES-256-GCM: only a node that can read the cluster's key from
 * the database (migration 4, `bus_key`) can open them, and a payload that
 * does not open is handed on as a hint alone (the store is read, as before).
 *
 * Nonces: each process derives a key of its own from the cluster key and
 * its random 16-byte instance ID (HKDF-SHA256; the ID travels in every
 * envelope), and numbers its nonces 1, 2, 3, ... under it, so no nonce is
 * used twice under one key without any coordination between nodes.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

const INFO = 'websocket-session bus seal v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * An instance ID: exactly 16 bytes in lowercase hex. Exactly, because HKDF
 * takes the salt as an HMAC key, zero-padded, and Buffer.from drops an odd
 * last digit: "ab", "ab0" and "ab00" would name one key.
 */
const INSTANCE = /^[0-9a-f]{32}$/;
/** Keys derived for other processes, kept for the ones whose payloads opened (a forger's IDs are never kept). */
const MAX_PEERS = 1024;

export interface SealerOptions {
  /**
   * Keys derived a second for processes not seen yet (default 32). A key costs an HKDF, and a forger may send a new
   * ID in every envelope: past this, a payload of an unknown process does not open until the next second (a real
   * newcomer's then go as hints alone, or wait for the heal timer), while known processes' open as ever.
   */
  newPeersPerSecond: number;
  /** The clock of that budget, ms. */
  now(): number;
}

export interface Sealer {
  /** `plaintext` sealed to base64 (nonce, ciphertext, tag); `aad` is bound to it but not carried. */
  seal(aad: string, plaintext: string): string;
  /** The plaintext of a payload sealed by process `instance` with the same `aad`, or undefined when it does not open. */
  open(instance: string, aad: string, sealed: string): string | undefined;
  /**
   * As `open`, for payloads that must come in their sender's order (the wire keeps each sender's order): undefined
   * too when its nonce's counter is not above that of the last payload this opened in order from `instance`, so a
   * payload copied off the wire and sent again does not open twice. Payloads opened by `open` do not count.
   */
  openInOrder(instance: string, aad: string, sealed: string): string | undefined;
}

const derive = (clusterKey: Buffer, instance: string): Buffer =>
  Buffer.from(hkdfSync('sha256', clusterKey, Buffer.from(instance, 'hex'), INFO, 32));

/**
 * A sealer for this process. `instance` is its random 16-byte ID in hex
 * (the salt its key is derived with); `clusterKey` is the
 * 32 bytes every node reads from the database.
 */
export function createSealer(clusterKey: Buffer, instance: string, options: Partial<SealerOptions> = {}): Sealer {
  const { newPeersPerSecond, now } = { newPeersPerSecond: 32, now: Date.now, ...options };
  let second = -1;
  let derived = 0;
  if (clusterKey.length !== 32) throw new Error('the bus key must be 32 bytes');
  if (!INSTANCE.test(instance)) throw new Error('the instance ID must be 16 bytes in lowercase hex');
  const own = derive(clusterKey, instance);
  /** Each known process's key, and the counter of the last payload `openInOrder` took from it (0n: none yet). */
  const peers = new Map<string, { key: Buffer; inOrder: bigint }>();
  let counter = 0n;

  /** `open` and `openInOrder`: the only difference is the order check, and the counter kept after it. */
  function openWith(peer: string, aad: string, sealed: string, inOrder: boolean): string | undefined {
    if (!INSTANCE.test(peer)) return undefined;
    const bytes = Buffer.from(sealed, 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) return undefined;
    const nonceCounter = bytes.readBigUInt64BE(NONCE_BYTES - 8);
    let known = peers.get(peer);
    if (inOrder && known && nonceCounter <= known.inOrder) return undefined;
    if (!known) {
      const current = Math.floor(now() / 1000);
      if (current !== second) [second, derived] = [current, 0];
      if (++derived > newPeersPerSecond) return undefined;
      known = { key: derive(clusterKey, peer), inOrder: 0n };
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', known.key, bytes.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plaintext = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      if (inOrder) known.inOrder = nonceCounter;
      if (!peers.has(peer)) {
        if (peers.size >= MAX_PEERS) peers.delete(peers.keys().next().value!);
        peers.set(peer, known);
      }
      return plaintext;
    } catch {
      return undefined; // a wrong key, a forger, a payload cut short
    }
  }

  return {
    seal(aad, plaintext) {
      const nonce = Buffer.alloc(NONCE_BYTES);
      nonce.writeBigUInt64BE(++counter, NONCE_BYTES - 8);
      const cipher = createCipheriv('aes-256-gcm', own, nonce);
      cipher.setAAD(Buffer.from(aad));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
    },

    open: (peer, aad, sealed) => openWith(peer, aad, sealed, false),
    openInOrder: (peer, aad, sealed) => openWith(peer, aad, sealed, true),
  };
}
