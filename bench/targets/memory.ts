import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { BenchOptions } from '../cli.js';
import { round3 } from '../lib/stats.js';
import { registerSessions } from '../lib/http.js';
import { openFileLimit, sleep, waitForQuiet } from '../lib/proc.js';
import { startBenchServer, VARIANT_NAMES, type BenchServer, type Variant } from '../lib/server-process.js';
import type { SessionCredentials } from '../load/generator.js';
import { upgrade } from '../load/handshake.js';
import { heading, progress, table, target, type TargetResult } from '../report.js';

export interface MemoryRun {
  connections: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  perConnectionKiB: number;
}

export interface MemoryReport {
  requested: number;
  connections: number;
  /** Why fewer connections than requested were opened, if so. */
  note: string | null;
  runs: Record<string, MemoryRun>;
  ratio: number;
}

/** File descriptors kept free for everything but the idle sockets. */
const FD_RESERVE = 256;
const SETTLE_MS = 2000;

async function openIdle(server: BenchServer, sessions: readonly SessionCredentials[]): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sessions.length) {
      const s = sessions[next++]!;
      const { socket } = await upgrade({
        host: '127.0.0.1',
        port: server.wsPort,
        path: `/ws/${s.id}`,
        headers: s.token ? { Authorization: `Bearer ${s.token}` } : {},
      });
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, sessions.length) }, worker));
  return sockets;
}

async function closeIdle(sockets: readonly Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  await sleep(200);
}

async function measureVariant(variant: Variant, n: number, options: BenchOptions): Promise<MemoryRun> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-bench-'));
  try {
    const sync = options.sync === 'normal' ? 'normal' : 'full';
    const server = await startBenchServer({ variant, dbPath: join(dir, 'app.db'), sync, pin: options.pin });
    try {
      const ids = Array.from({ length: n }, (_, i) => `idle-${i}`);
      const sessions: SessionCredentials[] = server.httpPort !== null ? await registerSessions(server.httpPort, ids, 16) : ids.map((id) => ({ id }));
      // Warm up allocators and JIT with a few connections, then take the baseline.
      await closeIdle(await openIdle(server, sessions.slice(0, Math.min(100, n))));
      await sleep(SETTLE_MS / 2);
      const rssBeforeKiB = server.rssKiB();
      const sockets = await openIdle(server, sessions);
      await sleep(SETTLE_MS);
      const rssAfterKiB = server.rssKiB();
      await closeIdle(sockets);
      return { connections: sockets.length, rssBeforeKiB, rssAfterKiB, perConnectionKiB: round3((rssAfterKiB - rssBeforeKiB) / sockets.length) };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Target 3c: server RSS per idle connection, (a) against the plain ws server (b). */
export async function memoryTarget(options: BenchOptions): Promise<{ report: MemoryReport; targets: TargetResult[] }> {
  const limit = openFileLimit();
  const n = Math.max(1, Math.min(options.idleConnections, limit - FD_RESERVE));
  const note = n < options.idleConnections ? `open-file limit ${limit} (ulimit -n): ${n} connections instead of ${options.idleConnections}` : null;
  heading(`memory per idle connection at ${n.toLocaleString('en-US')} connections`);
  if (note) console.log(`   NOTE ${note}; raise it with ulimit -n`);
  const runs: Record<string, MemoryRun> = {};
  for (const variant of ['a', 'b'] as Variant[]) {
    progress(`${variant} ${VARIANT_NAMES[variant]}: ${variant === 'a' ? 'registering sessions, ' : ''}opening ${n} connections`);
    await waitForQuiet();
    runs[variant] = await measureVariant(variant, n, options);
  }
  const ratio = round3(runs.a!.perConnectionKiB / runs.b!.perConnectionKiB);
  console.log(
    table(
      ['variant', 'connections', 'RSS before MiB', 'RSS after MiB', 'KiB/connection'],
      Object.entries(runs).map(([k, r]) => [
        `${k} ${VARIANT_NAMES[k as Variant]}`, r.connections, round3(r.rssBeforeKiB / 1024), round3(r.rssAfterKiB / 1024), r.perConnectionKiB,
      ]),
    ),
  );
  return {
    report: { requested: options.idleConnections, connections: n, note, runs, ratio },
    targets: [target('memory', `(a)/(b) server RSS per idle connection at ${n} connections`, ratio, '<=', 1.5, 'x')],
  };
}
