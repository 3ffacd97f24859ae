/**
 * Node entry point: everything of the main entry, plus stores kept in files
 * so a bot or service resumes its session and resends its unacknowledged
 * messages after a restart. Browser bundles import the main entry, which
 * never loads node:fs.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parsePending, type OutboxStore, type TokenStore } from '../stores.js';

export * from '../index.js';

/**
 * Writes a whole file or nothing: a temp file renamed over the old one. Not
 * fsynced: it survives the process being killed, which is what a restart
 * needs, not a power loss.
 */
function writeAtomically(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, path);
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Tokens in one JSON file (`{"<session ID>": "<token>"}`), created with mode
 * 0600 since a token is the key to its session. Read once, written through.
 */
export function fileTokenStore(path: string): TokenStore {
  let tokens: Record<string, string> | undefined;
  const load = (): Record<string, string> => {
    if (tokens) return tokens;
    const parsed: unknown = JSON.parse(readIfExists(path) ?? '{}');
    tokens = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
    return tokens;
  };
  return {
    get: (sessionId) => (Object.hasOwn(load(), sessionId) ? load()[sessionId]! : null),
    set: (sessionId, token) => {
      load()[sessionId] = token;
      writeAtomically(path, JSON.stringify(tokens));
    },
    delete: (sessionId) => {
      if (!Object.hasOwn(load(), sessionId)) return;
      delete load()[sessionId];
      writeAtomically(path, JSON.stringify(tokens));
    },
  };
}

/**
 * The outbox in a folder, one `<session ID>.json` file per session (IDs are
 * safe file names: A-Z a-z 0-9 _ -), removed when nothing is pending.
 */
export function fileOutboxStore(dir: string): OutboxStore {
  const file = (sessionId: string) => join(dir, `${sessionId}.json`);
  return {
    load: (sessionId) => parsePending(readIfExists(file(sessionId))),
    save: (sessionId, messages) => {
      if (messages.length === 0) rmSync(file(sessionId), { force: true });
      else writeAtomically(file(sessionId), JSON.stringify(messages));
    },
  };
}
