import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of a token: 256 bits in base64url. */
export const TOKEN_CHARS = 43;

/** 256 random bits, base64url (TOKEN_CHARS characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Tokens are high-entropy secrets, so a fast hash is enough (no salt or
 * stretching needed); only this hash is stored.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of a presented token with a stored hash. */
export function tokenMatches(token: string | undefined, storedHash: Buffer): boolean {
  if (!token) return false;
  const presented = hashToken(token);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}
