/**
 * PostgreSQL's text cannot hold U+0000, which a message may (any valid
 * UTF-8 is stored byte-exact). A body is stored with each NUL replaced by a
 * space (one UTF-16 unit for one, one UTF-8 byte for one: offsets and sizes
 * stay the same) and the NULs' offsets beside it, NULL when there are none;
 * reads put them back. Client ids are stored as bytes (bytea) instead.
 */
const NUL = '\u0000';

/** The text stored for `body` and the offsets of its NULs (null: none). */
export function toStoredText(body: string): [text: string, nulAt: number[] | null] {
  if (!body.includes(NUL)) return [body, null];
  const nulAt: number[] = [];
  for (let i = body.indexOf(NUL); i >= 0; i = body.indexOf(NUL, i + 1)) nulAt.push(i);
  return [body.replaceAll(NUL, ' '), nulAt];
}

/** The body as it was appended. */
export function fromStoredText(text: string, nulAt: readonly number[] | null): string {
  if (nulAt === null) return text;
  const units = text.split('');
  for (const i of nulAt) units[i] = NUL;
  return units.join('');
}

/** A text to query with: NULs as the spaces they are stored as. */
export const withoutNul = (text: string): string => text.replaceAll(NUL, ' ');

export const clientIdBytes = (clientId: string | null): Buffer | null => (clientId === null ? null : Buffer.from(clientId, 'utf8'));
export const clientIdText = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'));
