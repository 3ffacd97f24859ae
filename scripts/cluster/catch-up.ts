import type { CrashClient } from '../crash/client.js';
import type { Check } from '../crash/verify.js';
import { waitUntil } from './wait.js';

const NAME = 'every open observer reached last_seq within two heal intervals';

/**
 * Once every message is acknowledged: each client (writers observe too)
 * must reach its session's last_seq within two heal intervals, however its
 * node heard of the last messages (a hint, a resync, the heal timer).
 */
export async function catchUpCheck(clients: readonly CrashClient[], lastSeqs: ReadonlyMap<string, number>, healIntervalMs: number): Promise<Check> {
  const started = performance.now();
  const behind = () => clients.filter((c) => c.cursor < (lastSeqs.get(c.sessionId) ?? 0));
  const reached = await waitUntil(() => behind().length === 0, Date.now() + 2 * healIntervalMs, 'last_seq').then(
    () => true,
    () => false,
  );
  const tookMs = Math.round(performance.now() - started);
  if (reached) return { name: NAME, ok: true, detail: `${clients.length} clients in ${tookMs} ms (heal interval ${healIntervalMs} ms)` };
  const late = behind().map((c) => `${c.name} at seq ${c.cursor} of ${lastSeqs.get(c.sessionId)}`);
  return { name: NAME, ok: false, detail: `after ${tookMs} ms: ${late.slice(0, 5).join(', ')}${late.length > 5 ? ` (${late.length} in all)` : ''}` };
}
