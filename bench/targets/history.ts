import { join } from 'node:path';
import type { BenchOptions } from '../cli.js';
import { historyFixture, type Fixture } from '../fixtures.js';
import { percentile, round3 } from '../lib/histogram.js';
import { HttpClient } from '../lib/http.js';
import { machineBusySeconds, quietly } from '../lib/proc.js';
import { startBenchServer } from '../lib/server-process.js';
import { heading, progress, table, target, type TargetResult } from '../report.js';
import { openDatabase } from '../../server/store/database.js';
import { createStore } from '../../server/store/index.js';

const PAGE = 50;

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
  store: Timings;
  http: Timings;
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
function timeStore(fixture: Fixture, requests: number): number[] {
  const db = openDatabase(fixture.path, { synchronous: 'normal' });
  try {
    const store = createStore(db);
    const session = store.sessions.findById(fixture.sessions[0]!.id)!;
    const times: number[] = [];
    for (let i = 0; i < requests + requests / 10; i++) {
      const before = randomBefore(fixture.messages);
      const t0 = performance.now();
      const page = store.messages.page(session.pk, before, PAGE);
      const ms = performance.now() - t0;
      if (page.messages.length !== PAGE) throw new Error(`store page before ${before}: ${page.messages.length} messages`);
      if (i >= requests / 10) times.push(ms);
    }
    return times;
  } finally {
    db.close();
  }
}

/** GET /api/sessions/:id/messages on the built server, one keep-alive connection. */
async function timeHttp(fixture: Fixture, requests: number, options: BenchOptions): Promise<Timings> {
  const server = await startBenchServer({ variant: 'a', dbPath: fixture.path, pin: options.pin });
  const client = new HttpClient(server.httpPort!);
  try {
    return await timed(() => httpRequests(client, fixture, requests), server.cpuSeconds);
  } finally {
    client.close();
    await server.stop();
  }
}

async function httpRequests(client: HttpClient, fixture: Fixture, requests: number): Promise<number[]> {
  const { id, token } = fixture.sessions[0]!;
  const times: number[] = [];
  for (let i = 0; i < requests + requests / 10; i++) {
    const before = randomBefore(fixture.messages);
    const t0 = performance.now();
    const res = await client.request('GET', `/api/sessions/${id}/messages?limit=${PAGE}&before=${before}`, undefined, {
      authorization: `Bearer ${token}`,
    });
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`history page: ${res.status} ${res.body.slice(0, 200)}`);
    if (i === 0) {
      const body = JSON.parse(res.body) as { messages: { seq: number; text: string }[] };
      if (body.messages.length !== PAGE || body.messages.at(-1)!.seq !== before - 1 || !body.messages[0]!.text.startsWith(`${id}: `)) {
        throw new Error(`history page before ${before} is not the expected one`);
      }
    }
    if (i >= requests / 10) times.push(ms);
  }
  return times;
}

/** Target 3d: a page of 50 from a session holding `historyMessages` messages. */
export async function historyTarget(options: BenchOptions): Promise<{ report: HistoryReport; targets: TargetResult[] }> {
  heading(`history: pages of ${PAGE} from one session of ${options.historyMessages.toLocaleString('en-US')} messages, ${options.historyRequests} requests each`);
  const fixture = historyFixture(join(options.resultsDir, 'fixtures'), options.historyMessages);
  progress(`fixture ${fixture.path} (${Math.round(fixture.bytes / 2 ** 20)} MiB, ${fixture.cached ? 'cached' : `built in ${fixture.buildSeconds}s`})`);
  const store = await quietly(() => timed(() => timeStore(fixture, options.historyRequests)));
  const http = await quietly(() => timeHttp(fixture, options.historyRequests, options));
  console.log(
    table(
      ['path', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'other CPU'],
      [
        ['store.page() in process', store.samples, store.p50, store.p99, store.max, store.otherCpu],
        ['HTTP GET (keep-alive)', http.samples, http.p50, http.p99, http.max, http.otherCpu],
      ],
    ),
  );
  const { sessions: _sessions, ...fixtureInfo } = fixture;
  return {
    report: { fixture: fixtureInfo, page: PAGE, store, http },
    targets: [
      target('history', `HTTP p99 of a page of ${PAGE} from a session of ${options.historyMessages} messages (store.page() p99 ${store.p99} ms)`, http.p99, '<=', 2, 'ms'),
    ],
  };
}
