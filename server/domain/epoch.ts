import { randomBytes } from 'node:crypto';

/**
 * A session's history epoch: 96 random bits in base64url (16 characters).
 * It changes whenever the session's history is replaced (the ID deleted and
 * registered again: a new session row; a restore from backup: every restored
 * session), so a client resuming with `?after=N&epoch=E` can be told that
 * the history it holds is not the session's any more.
 */
export function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}

/** What `&epoch=` may be: base64url, 1 to 64 characters (16 from this server; longer leaves room for other formats). */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
