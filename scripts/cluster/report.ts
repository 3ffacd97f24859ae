import type { Check } from '../crash/verify.js';
import type { FaultCounts } from './faults.js';
import type { LatencySummary } from './latency.js';
import type { QuietTailResult } from './quiet-tail.js';

export interface ClusterReport {
  ok: boolean;
  bus: 'postgres' | 'redis';
  seed: number;
  /** The heal timer was on (off: the quiet-tail check is expected to fail). */
  heal: boolean;
  healIntervalMs: number;
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  /** Sessions the nodes' heal timers caught up (wss_heals_total, summed over every node's lives). */
  healed: number;
  /** Resyncs of nodes after their bus reconnected (wss_bus_resyncs_total, summed likewise). */
  resyncs: number;
  resent: number;
  dedupedResends: number;
  errorFrames: number;
  connections: number;
  faults: FaultCounts;
  quietTail: QuietTailResult | null;
  /** Cross-node delivery latency over the whole run, faults included. */
  latency: LatencySummary;
  /** The same over the steady stretch after the faults (and during the quiet tail, on other sessions). */
  steadyLatency: LatencySummary;
  /** How each node ended on the final SIGTERM. */
  exits: Array<{ id: string; code: number | null; signal: string | null }>;
  durationMs: number;
  checks: Check[];
  failures: string[];
}

export function formatReport(r: ClusterReport): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const lines = [
    `cluster test ${r.ok ? 'PASSED' : 'FAILED'} (bus ${r.bus}, seed ${r.seed}, heal ${r.heal ? `every ${r.healIntervalMs} ms` : 'OFF'})`,
    `  sent ${r.sent}  acked ${r.acknowledged}  stored ${r.stored}  lost ${r.lost}  duplicated ${r.duplicated}  healed ${r.healed}  resyncs ${r.resyncs}`,
    `  node kills ${r.faults.nodeKills}  restarts ${r.faults.restarts}  bus kills ${r.faults.busKills} (${r.faults.busConnectionsKilled} connections)  ` +
      `connections ${r.connections}  resent ${r.resent} (deduped ${r.dedupedResends})  error frames ${r.errorFrames}  duration ${(r.durationMs / 1000).toFixed(1)} s`,
    ...(['latency', 'steadyLatency'] as const).map((part) => {
      const l = r[part];
      const what = part === 'latency' ? 'whole run, faults included' : 'steady, after the faults';
      return `  cross-node delivery latency (${what}): p50 ${ms(l.p50)}  p99 ${ms(l.p99)}  max ${ms(l.max)} (${l.samples} samples)`;
    }),
    `  SIGTERM exits: ${r.exits.map((e) => `${e.id} ${e.code ?? e.signal}`).join(', ') || 'none'}`,
    ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    ...r.failures.map((f) => `  failure: ${f}`),
  ];
  return lines.join('\n');
}
