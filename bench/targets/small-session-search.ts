import { ONE_MESSAGE, SEARCH_QUERIES } from '../chat-text.js';
import { RawHttpClient } from '../lib/raw-http.js';
import { percentile, round3 } from '../lib/stats.js';
import type { SideLoadSession } from '../side-load/spec.js';

export interface SearchTimings {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** Wrong answers (the first few). */
  errors: string[];
}

/** Untimed first, then timed: each bounded by a count and by a time, whichever comes first (a slow search must not hold the bench up). */
const WARMUP = { requests: 50, ms: 2000 };
const TIMED = { requests: 500, ms: 5000 };
const SMOKE = { warmup: { requests: 10, ms: 500 }, timed: { requests: 50, ms: 1000 } };

/**
 * Searches in a session of one message (SEARCH_QUERIES in turn) on a raw
 * keep-alive connection, one at a time, nothing else running: what its cost
 * is when it is bounded by the session, not by the database. Every answer
 * is checked: 200, only that session's message, and found by "hello".
 */
export async function timeSmallSessionSearch(port: number, session: SideLoadSession, smoke: boolean): Promise<SearchTimings> {
  const client = await RawHttpClient.connect({ port, headers: { Authorization: `Bearer ${session.token}` }, timeoutMs: 60_000 });
  const errors: string[] = [];
  const times: number[] = [];
  const expected = `${session.id}: ${ONE_MESSAGE}`;
  try {
    let q = 0;
    const run = async (bound: { requests: number; ms: number }, record: boolean) => {
      const until = performance.now() + bound.ms;
      for (let i = 0; i < bound.requests && performance.now() < until; i++, q++) {
        const query = SEARCH_QUERIES[q % SEARCH_QUERIES.length]!;
        const request = client.requestFor(`/api/sessions/${session.id}/search?q=${encodeURIComponent(query)}&limit=20`);
        const t0 = performance.now();
        const res = await client.send(request);
        const ms = performance.now() - t0;
        if (record) times.push(ms);
        const results = res.status === 200 ? (JSON.parse(res.body) as { results?: { text?: string }[] }).results : undefined;
        const wrong =
          !Array.isArray(results) ? `${res.status} ${res.body.slice(0, 100)}`
          : results.some((r) => r.text !== expected) ? `a result that is not the session's message: ${res.body.slice(0, 100)}`
          : query === 'hello' && results.length !== 1 ? `"hello" found ${results.length} messages, 1 expected`
          : null;
        if (wrong && errors.length < 5) errors.push(`q=${query}: ${wrong}`);
      }
    };
    await run(smoke ? SMOKE.warmup : WARMUP, false);
    await run(smoke ? SMOKE.timed : TIMED, true);
  } finally {
    client.close();
  }
  return { samples: times.length, p50: round3(percentile(times, 50)), p99: round3(percentile(times, 99)), max: round3(Math.max(0, ...times)), errors };
}
