/**
 * The seeded fault loop: between stretches of load (each begins at an
 * acknowledgement, so a fault lands on a cluster that works), either a node
 * is SIGKILLed and restarted after a random pause (never the last one
 * running), or a bus connection is killed. Bounded in count and by the
 * deadline; every restart is awaited before it returns.
 */
import { delay, within } from '../crash/timing.js';
import type { BusFaults } from './bus-faults.js';
import type { ClusterNode, Nodes } from './nodes.js';

export interface FaultDeps {
  nodes: Nodes;
  bus: BusFaults;
  random: () => number;
  /** Resolves at the next acknowledgement of any writer. */
  nextAck(): Promise<void>;
  /** Counters of a node read before it dies (its heals and resyncs would be lost with it). */
  beforeKill(node: ClusterNode): Promise<void>;
  log(line: string): void;
}

export interface FaultCounts {
  nodeKills: number;
  restarts: number;
  busKills: number;
  /** Bus connections the kills ended (Redis' TYPE pubsub ends every node's subscriber). */
  busConnectionsKilled: number;
}

export async function faultLoop(deps: FaultDeps, faults: number, interval: { min: number; max: number }, deadline: number): Promise<FaultCounts> {
  const { nodes, random, log } = deps;
  const counts: FaultCounts = { nodeKills: 0, restarts: 0, busKills: 0, busConnectionsKilled: 0 };
  const restarts: Array<Promise<void>> = [];
  let failedRestart: PromiseRejectedResult | undefined;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  try {
    for (let k = 1; k <= faults; k++) {
      await within(deps.nextAck(), deadline, `an acknowledgement before fault ${k}`);
      await delay(Math.min(interval.min + random() * (interval.max - interval.min), deadline - Date.now()));
      const running = nodes.running;
      if (random() < 0.5 && running.length >= 2) {
        const node = pick(running);
        const pauseMs = Math.round(100 + random() * 500);
        await deps.beforeKill(node).catch(() => undefined);
        if (!(await nodes.kill(node))) throw new Error(`${node.id} had exited by itself before fault ${k}`);
        counts.nodeKills++;
        log(`fault ${k}/${faults}: SIGKILL ${node.id}, restart in ${pauseMs} ms`);
        restarts.push(
          delay(pauseMs)
            .then(() => nodes.restart(node, deadline))
            .then(() => void counts.restarts++),
        );
      } else {
        const node = pick(running);
        const killed = await deps.bus.kill(node.id);
        counts.busKills++;
        counts.busConnectionsKilled += killed;
        log(`fault ${k}/${faults}: bus connection of ${node.id} killed (${killed} ended)`);
      }
    }
  } finally {
    // Every restart awaited, whatever happened; a failed one fails the loop (after the error that ended it, if any).
    const settled = await Promise.allSettled(restarts);
    failedRestart = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  }
  if (failedRestart) throw failedRestart.reason;
  return counts;
}
