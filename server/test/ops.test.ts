import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SUBPROTOCOL, type ServerFrame } from '../../protocol/wire.js';
import { ServerProcess } from '../../e2e/server-process.js';
import { api, expectApiError, register, upgradeStatus, useTestServer } from './harness.js';

/** The value of one sample line of Prometheus text, e.g. `wss_messages_in_total{mode="text"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics and probes', () => {
  const t = useTestServer();

  it('GET /metrics reports connections, messages, refusals, commits, echo latency, HTTP requests and DB size', async () => {
    const { token } = await register(t.server, 'm1');
    const client = await t.connect('m1', { token });
    for (const text of ['a', 'b', 'c']) {
      client.send(text);
      await client.next();
    }
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/m1`)).toBe(401);
    expect(await upgradeStatus(`${t.server.wsUrl}/ws/nobody`, { headers: { authorization: `Bearer ${token}` } })).toBe(404);

    await t.server.store.search.indexed();
    const res = await api(t.server, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'wss_open_connections')).toBe(1);
    expect(sample(text, 'wss_messages_in_total{mode="text"}')).toBe(3);
    expect(sample(text, 'wss_messages_out_total')).toBe(3);
    expect(sample(text, 'wss_upgrade_refusals_total{reason="unauthorized"}')).toBe(1);
    expect(sample(text, 'wss_upgrade_refusals_total{reason="session_not_found"}')).toBe(1);
    expect(sample(text, 'wss_commit_batch_size_count')).toBe(3);
    expect(sample(text, 'wss_commit_duration_seconds_count')).toBe(3);
    expect(sample(text, 'wss_echo_latency_seconds_count')).toBe(3);
    expect(sample(text, 'wss_http_requests_total{method="POST",route="/api/sessions",status="201"}')).toBe(1);
    expect(sample(text, 'wss_db_size_bytes')).toBeGreaterThan(4096);
    expect(text).toContain('process_cpu_seconds_total');
    expect(sample(text, 'wss_search_index_lag_messages')).toBe(0); // indexed() before the scrape, above
  });

  it('GET /readyz is 200 when the database takes writes and 503 when it does not', async () => {
    expect(await (await api(t.server, '/readyz')).json()).toEqual({ status: 'ready' });
    const clearFault = t.server.faults.readOnly();
    await expectApiError(await api(t.server, '/readyz'), 503, 'not_writable');
    expect((await api(t.server, '/healthz')).status).toBe(200); // alive all the same
    clearFault();
    expect((await api(t.server, '/readyz')).status).toBe(200);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const t = useTestServer({ metricsToken: 'prometheus-secret' });

  it('answers 401 with WWW-Authenticate without the Bearer token or with a wrong one, 200 with it', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'prometheus-secret' }] as Array<Record<string, string>>) {
      const res = await api(t.server, '/metrics', { headers });
      await expectApiError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
    const res = await api(t.server, '/metrics', { headers: { authorization: 'Bearer prometheus-secret' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('wss_open_connections');
  });
});

describe('GET /metrics costs one rendering a second, however many scrape', () => {
  const t = useTestServer();

  it('16 concurrent scrapes get one rendering (identical bodies), without the per-handle default metrics', async () => {
    // Every request to the server changes the rendering (the HTTP request counter): uncached, 16 scrapes give 16 bodies.
    const started = performance.now();
    const bodies = await Promise.all(Array.from({ length: 16 }, async () => (await api(t.server, '/metrics')).text()));
    const elapsedMs = performance.now() - started;
    // One rendering serves a second: however slow the machine, at most one new rendering per second elapsed.
    expect(new Set(bodies).size).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 1000));
    expect(bodies[0]).toContain('process_cpu_seconds_total');
    expect(bodies[0]).not.toContain('nodejs_active_handles');
    expect(bodies[0]).not.toContain('nodejs_active_resources');
    // A second later, a scrape shows what happened since.
    await expect
      .poll(async () => sample(await (await api(t.server, '/metrics')).text(), 'wss_http_requests_total{method="GET",route="/metrics",status="200"}'))
      .toBeGreaterThanOrEqual(16);
  });
});

it('while draining after SIGTERM, /readyz is 503 and new WebSockets are refused, open ones are served as ever, then 1001 and it exits 0', async () => {
  const server = await ServerProcess.start({ env: { SHUTDOWN_DRAIN_MS: '3000' } });
  try {
    expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(200);
    const { token } = await register(server, 'd');
    const ws = new WebSocket(`ws://127.0.0.1:${server.wsPort}/ws/d`, [SUBPROTOCOL], { headers: { authorization: `Bearer ${token}` } });
    const frames: ServerFrame[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
    await expect.poll(() => frames.some((f) => f.type === 'ready')).toBe(true);
    server.child.kill('SIGTERM');
    await expect.poll(async () => (await fetch(`${server.httpUrl}/readyz`)).status).toBe(503);
    expect(await upgradeStatus(`ws://127.0.0.1:${server.wsPort}/ws/d`, { headers: { authorization: `Bearer ${token}` } })).toBe(503);
    // A load balancer moves new traffic away meanwhile; a socket already open keeps working until the listeners close.
    ws.send(JSON.stringify({ type: 'send', id: 'during-drain', text: 'still taken' }));
    await expect.poll(() => frames.find((f) => f.type === 'echo' && f.id === 'during-drain'), { timeout: 2000 }).toMatchObject({ seq: 1, text: 'd: still taken' });
    expect(await closed).toEqual({ code: 1001, reason: expect.stringMatching(/^shutting_down/) });
    expect(await server.exited).toEqual({ code: 0, signal: null });
  } finally {
    await server.stop('SIGKILL');
    server.removeData();
  }
});
