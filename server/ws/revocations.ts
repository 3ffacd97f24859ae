/**
 * How long a revoked token's hash is remembered, in ms: an upgrade authorised
 * just before the revocation committed (a store whose reads are truly
 * asynchronous), attached after its `revoked` event, is closed too.
 */
const MEMORY_MS = 60_000;

/** The tokens (hex SHA-256) revoked in the last minute, so a socket of one that arrives late is closed on arrival. */
export function createRevocations(now: () => number = Date.now) {
  const revoked = new Map<string, number>();
  return {
    /** A `revoked` event: remembered, and older ones forgotten. */
    add(tokenHash: string): void {
      const at = now();
      for (const [hash, when] of revoked) if (at - when > MEMORY_MS) revoked.delete(hash);
      revoked.set(tokenHash, at);
    },
    has: (tokenHash: string): boolean => revoked.has(tokenHash),
  };
}
