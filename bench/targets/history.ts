import { join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { historyFixture, type Fixture } from '../fixtures.js';
import { percentile, round3 } from '../lib/stats.js';
import { RawHttpClient } from '../lib/raw-http.js';
import { machineBusySeconds, quietly } from '../lib/proc.js';
import { PLAIN_HTTP_BODY, startBenchServer, type BenchServer } from '../lib/server-process.js';
import { heading, progress, table, target, type TargetResult } from '../report.js';
import { createLogger } from '../../server/logger.js';
import { openSqliteStore } from '../../server/store/sqlite/index.js';

const PAGE = 50;
/** Repetitions of (real, bare), alternating which goes first. */
const REPS = 3;

export interface Timings {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU other processes used meanwhile, in cores (see quietly()). */
  otherCpu: number;
  attempts?: number;
}

export interface HistoryReport {
  fixture: Omit<Fixture, 'sessions'>;
  page: number;
  /** How HTTP was timed: one raw keep-alive net.Socket per repetition and server. */
  client: string;
  store: Timings;
  /** The real server: the repetition with the median p99. */
  http: Timings;
  /** The bare node:http server (constant body): the repetition with the median p99. */
  bare: Timings;
  /** http.p99 / bare.p99. */
  ratio: number;
  /** Bytes of one response body: real page, bare constant. */
  bodyBytes: { http: number; bare: number };
  reps: { http: Timings; bare: Timings }[];
}

/** Times `run` and how busy the rest of the machine was meanwhile. */
async function timed(run: () => Promise<number[]> | number[], serverCpu: () => number = () => 0): Promise<Timings> {
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const server0 = serverCpu();
  const t0 = performance.now();
  const ms = await run();
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  const other = machineBusySeconds() - busy0 - (own.user + own.system) / 1e6 - (serverCpu() - server0);
  return {
    samples: ms.length,
    p50: round3(percentile(ms, 50)),
    p99: round3(percentile(ms, 99)),
    max: round3(Math.max(...ms)),
    otherCpu: round3(Math.max(0, other) / seconds),
  };
}

/** A random `before` so every page is full: seq in [PAGE + 1, count + 1]. */
const randomBefore = (count: number) => PAGE + 1 + Math.floor(Math.random() * (count - PAGE + 1));

/** store.page() in this process: the database path alone. */
async function timeStore(fixture: Fixture, requests: number): Promise<number[]> {
  const store = openSqliteStore(fixture.path, { synchronous: 'normal', logger: createLogger({ level: 'silent', format: 'json' }) });
  try {
    const session = (await store.sessions.findById(fixture.sessions[0]!.id))!;
    const times: number[] = [];
    for (let i = 0; i < requests + requests / 10; i++) {
      const before = randomBefore(fixture.messages);
      const t0 = performance.now();
      const page = await store.messages.page(session.pk, before, PAGE);
      const ms = performance.now() - t0;
      if (page.messages.length !== PAGE) throw new Error(`store page before ${before}: ${page.messages.length} messages`);
      if (i >= requests / 10) times.push(ms);
    }
    return times;
  } finally {
    await store.close();
  }
}

type Side = 'http' | 'bare';

/**
 * Untimed requests before the first timed run of a server: a new Node process
 * answers its first few thousand requests while V8 is still compiling the
 * hot code (about 2 ms at p99 even for a bare server, measured), which is not
 * the steady state a long-running server is in. The throughput target warms
 * up for 3 s for the same reason.
 */
const WARMUP_REQUESTS = 10_000;
const warmedUp = new Set<BenchServer>();

/** One timed run of `requests` GETs on a fresh raw keep-alive connection (after the server's warm-up). */
async function timeGets(server: BenchServer, requests: number, path: () => string, headers: Record<string, string>, check: (body: string, i: number, path: string) => void): Promise<Timings & { bodyBytes: number }> {
  const client = await RawHttpClient.connect({ port: server.httpPort!, headers });
  let bodyBytes = 0;
  try {
    const warmup = warmedUp.has(server) ? requests / 10 : Math.max(requests / 10, Math.min(WARMUP_REQUESTS, requests * 5));
    warmedUp.add(server);
    const timings = await timed(async () => {
      const times: number[] = [];
      for (let i = 0; i < requests + warmup; i++) {
        const p = path();
        const request = client.requestFor(p);
        const t0 = performance.now();
        const res = await client.send(request);
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${res.body.slice(0, 200)}`);
        check(res.body, i, p);
        bodyBytes = Buffer.byteLength(res.body);
        if (i >= warmup) times.push(ms);
      }
      return times;
    }, server.cpuSeconds);
    return { ...timings, bodyBytes };
  } finally {
    client.close();
  }
}

/** GET /api/sessions/:id/messages on the built server; the first page is checked. */
function realGets(server: BenchServer, fixture: Fixture, requests: number) {
  const { id, token } = fixture.sessions[0]!;
  let before = 0;
  const path = () => `/api/sessions/${id}/messages?limit=${PAGE}&before=${(before = randomBefore(fixture.messages))}`;
  return timeGets(server, requests, path, { Authorization: `Bearer ${token}` }, (text, i) => {
    if (i !== 0) return;
    const body = JSON.parse(text) as { messages: { seq: number; text: string }[] };
    if (body.messages.length !== PAGE || body.messages.at(-1)!.seq !== before - 1 || !body.messages[0]!.text.startsWith(`${id}: `)) {
      throw new Error(`history page before ${before} is not the expected one`);
    }
  });
}

/** The same client and number of requests against the bare server. */
function bareGets(server: BenchServer, requests: number) {
  const path = () => `/api/sessions/x/messages?limit=${PAGE}&before=${randomBefore(1_000_000)}`;
  return timeGets(server, requests, path, { Authorization: 'Bearer x' }, (body) => {
    if (body !== PLAIN_HTTP_BODY) throw new Error(`bare server answered ${body.slice(0, 100)}`);
  });
}

/** The repetition whose p99 is the median (a coherent set of figures). */
function medianByP99(runs: Timings[]): Timings {
  return [...runs].sort((x, y) => x.p99 - y.p99)[Math.floor((runs.length - 1) / 2)]!;
}

/** Target 3d: a page of 50 from a session holding `historyMessages` messages, next to the machine's floor. */
export async function historyTarget(options: BenchOptions): Promise<{ report: HistoryReport; targets: TargetResult[] }> {
  heading(`history: pages of ${PAGE} from one session of ${options.historyMessages.toLocaleString('en-US')} messages, ${options.historyRequests} requests each`);
  const fixture = historyFixture(join(options.resultsDir, 'fixtures'), options.historyMessages);
  progress(`fixture ${fixture.path} (${Math.round(fixture.bytes / 2 ** 20)} MiB, ${fixture.cached ? 'cached' : `built in ${fixture.buildSeconds}s`})`);
  const store = await quietly(() => timed(() => timeStore(fixture, options.historyRequests)));
  const real = await startBenchServer({ variant: 'a', dbPath: fixture.path, pin: options.pin });
  const bare = await startBenchServer({ variant: 'h', pin: options.pin });
  const reps: { http: Timings; bare: Timings }[] = [];
  const bodyBytes = { http: 0, bare: 0 };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const order: Side[] = rep % 2 === 0 ? ['http', 'bare'] : ['bare', 'http'];
      progress(`rep ${rep + 1}/${REPS}: ${order.join(', then ')}`);
      const runs = {} as Record<Side, Timings>;
      for (const side of order) {
        const { bodyBytes: bytes, ...t } = await quietly(() =>
          side === 'http' ? realGets(real, fixture, options.historyRequests) : bareGets(bare, options.historyRequests),
        );
        runs[side] = t;
        bodyBytes[side] = bytes;
      }
      reps.push(runs);
    }
  } finally {
    await real.stop();
    await bare.stop();
  }
  const http = medianByP99(reps.map((r) => r.http));
  const floor = medianByP99(reps.map((r) => r.bare));
  const ratio = round3(http.p99 / floor.p99);
  const row = (name: string, t: Timings) => [name, t.samples, t.p50, t.p99, t.max, t.otherCpu];
  const headers = ['path', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'other CPU'];
  console.log(table(headers, reps.flatMap((r, i) => [row(`rep ${i + 1} HTTP GET real server`, r.http), row(`rep ${i + 1} HTTP GET bare node:http`, r.bare)])));
  console.log('');
  console.log(
    table(headers, [
      row('store.page() in process', store),
      row(`HTTP GET real server (${bodyBytes.http} B body), median p99 of ${REPS}`, http),
      row(`HTTP GET bare node:http (${bodyBytes.bare} B body), median p99 of ${REPS}`, floor),
    ]),
  );
  console.log(`real/bare p99: ${ratio} (client: raw keep-alive net.Socket, one connection per repetition and server)`);
  const { sessions: _sessions, ...fixtureInfo } = fixture;
  return {
    report: { fixture: fixtureInfo, page: PAGE, client: 'raw net.Socket keep-alive (bench/lib/raw-http.ts)', store, http, bare: floor, ratio, bodyBytes, reps },
    targets: [
      target(
        'history',
        `HTTP p99 of a page of ${PAGE} from a session of ${options.historyMessages} messages, raw keep-alive client, median of ${REPS} reps ` +
          `(floor: bare node:http, same client and requests, same run, p99 ${floor.p99} ms; real/bare ${ratio}; store.page() p99 ${store.p99} ms)`,
        http.p99,
        '<=',
        2,
        'ms',
      ),
    ],
  };
}
