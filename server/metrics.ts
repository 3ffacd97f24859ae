import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../protocol/errors.js';
import { cacheFor } from './cache-for.js';

export interface MetricsSources {
  openConnections(): number;
  dbSizeBytes(): Promise<number>;
  /** Free bytes on the database's disk at the last measurement; null when the store does not measure it. */
  diskFreeBytes(): number | null;
  /** Message ids the search index is behind the messages (MessageSearch.indexLag); null while unknown. */
  searchIndexLag(): Promise<number | null>;
}

/** How long one rendering of the metrics serves every scrape. */
const RENDER_TTL_MS = 1000;

/**
 * Default metrics that walk every libuv handle or request on each scrape
 * (process._getActiveHandles(), getActiveResourcesInfo()): with 10,000
 * sockets open, arrays of 10,000 objects, twice, per scrape. wss_open_connections
 * says what matters of them.
 */
const PER_HANDLE_DEFAULT_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

export type Metrics = ReturnType<typeof createMetrics>;

/** Seconds, from half a millisecond (a commit of a few rows) to a second. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1];

/**
 * The service's Prometheus metrics, in a registry of its own (several servers
 * can live in one process, as in tests). Hot-path children are bound once so
 * counting a message is an increment, not a label lookup.
 */
export function createMetrics(sources: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of PER_HANDLE_DEFAULT_METRICS) registry.removeSingleMetric(name);

  new Gauge({
    name: 'wss_open_connections',
    help: 'Open WebSocket connections',
    registers: [registry],
    collect() {
      this.set(sources.openConnections());
    },
  });
  new Gauge({
    name: 'wss_db_size_bytes',
    help: 'Size of the SQLite database and its WAL, in bytes',
    registers: [registry],
    async collect() {
      this.set(await sources.dbSizeBytes());
    },
  });
  new Gauge({
    name: 'wss_disk_free_bytes',
    help: 'Free bytes on the database\'s disk at the last measurement (writes stop under MIN_FREE_DISK_BYTES)',
    registers: [registry],
    collect() {
      const free = sources.diskFreeBytes();
      if (free !== null) this.set(free);
    },
  });
  new Gauge({
    name: 'wss_search_index_lag_messages',
    help: 'Message ids the search index is behind the messages (SQLite indexes behind the commits; a search first catches up)',
    registers: [registry],
    async collect() {
      const lag = await sources.searchIndexLag();
      if (lag !== null) this.set(lag);
    },
  });
  const messagesIn = new Counter({ name: 'wss_messages_in_total', help: 'Messages received', labelNames: ['mode'], registers: [registry] });
  const messagesOut = new Counter({ name: 'wss_messages_out_total', help: 'Echo frames sent (fan-out and replay included)', registers: [registry] });
  const readersBehind = new Counter({
    name: 'wss_readers_behind_total',
    help: 'Times a connection left more than MAX_BUFFERED_BYTES unread and was paused to catch up from the store',
    registers: [registry],
  });
  const upgradeRefusals = new Counter({
    name: 'wss_upgrade_refusals_total',
    help: 'WebSocket upgrades refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const commitBatchSize = new Histogram({
    name: 'wss_commit_batch_size',
    help: 'Messages per group commit',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'wss_commit_duration_seconds',
    help: 'Time to write and commit one batch',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const echoSeconds = new Histogram({
    name: 'wss_echo_latency_seconds',
    help: 'From a message received to its echo sent (the commit included)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'wss_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });

  const tokenlessAdmissions = new Counter({
    name: 'wss_tokenless_admissions_total',
    help: 'WebSocket connections admitted without a token (LEGACY_OPEN_SESSIONS)',
    registers: [registry],
  });

  const textIn = messagesIn.labels('text');
  const jsonIn = messagesIn.labels('json');

  return {
    registry,
    /**
     * The Prometheus text, rendered at most once a second whoever asks:
     * concurrent scrapes share one rendering, so scraping costs the echo path
     * one short synchronous run a second at most.
     */
    render: cacheFor(RENDER_TTL_MS, async () => ({ contentType: registry.contentType, body: await registry.metrics() })),
    messageIn(mode: 'text' | 'json'): void {
      (mode === 'json' ? jsonIn : textIn).inc();
    },
    messagesOut(count = 1): void {
      messagesOut.inc(count);
    },
    readerBehind(): void {
      readersBehind.inc();
    },
    upgradeRefused(reason: ErrorCode): void {
      upgradeRefusals.labels(reason).inc();
    },
    tokenlessAdmitted(): void {
      tokenlessAdmissions.inc();
    },
    committed(batchSize: number, durationMs: number): void {
      commitBatchSize.observe(batchSize);
      commitSeconds.observe(durationMs / 1000);
    },
    echoed(latencyMs: number): void {
      echoSeconds.observe(latencyMs / 1000);
    },
    httpRequest(method: string, route: string, status: number): void {
      httpRequests.labels(method, route, String(status)).inc();
    },
  };
}
