import { ApiError } from './api.js';
import { phrase, type Phrase } from './i18n.js';

/** What went wrong, in words a person understands (and in their language). */
export function explain(err: unknown, sessionId?: string): Phrase {
  if (err instanceof ApiError) {
    if (err.status === 0) return phrase('err.network');
    if (err.status === 401) return phrase('err.notHeld');
    if (err.status === 404) return phrase('err.unknown');
    if (err.code === 'session_exists') return phrase('err.taken', { id: sessionId ?? '' });
    if (err.status === 429) return phrase('err.tooMany');
    if (err.status >= 500) return phrase('err.server', { status: String(err.status) });
    return phrase('raw', { text: err.message });
  }
  return phrase('raw', { text: err instanceof Error ? err.message : String(err) });
}
