import { ClientError, type ClientErrorCode } from '../../client/src/index.js';
import { phrase, type Key, type Phrase } from './i18n.js';

/**
 * What each error code of the service's catalogue (and the client's own)
 * means to a person, with what to do; codes a person cannot meet in this app
 * (text mode, health probes) fall back to a generic text naming the code.
 */
const TEXTS: Partial<Record<ClientErrorCode, Key>> = {
  network: 'err.network',
  invalid_session_id: 'err.idInvalid',
  too_many_registrations: 'err.tooMany',
  too_many_requests: 'err.tooMany',
  unauthorized: 'err.unauthorized',
  session_not_found: 'err.notFound',
  session_deleted: 'err.deleted',
  token_revoked: 'err.revoked',
  storage_unavailable: 'err.storage',
  rate_limited: 'err.rate',
  policy_violation: 'err.rate',
  message_too_big: 'err.tooBig',
  shutting_down: 'err.restarting',
  connection_lost: 'err.lost',
  too_many_connections: 'err.tabs',
  server_full: 'err.busy',
  origin_not_allowed: 'err.origin',
  internal: 'err.server',
};

/** What went wrong, in the person's language: never the server's English text. */
export function explain(err: unknown): Phrase {
  const code: ClientErrorCode = err instanceof ClientError ? err.code : 'internal';
  const key = TEXTS[code];
  if (key === 'err.idInvalid') return phrase(key, { rule: phrase('err.idRule') });
  return key ? phrase(key) : phrase('err.other', { code });
}
