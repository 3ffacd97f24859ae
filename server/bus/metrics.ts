import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterBus } from './cluster.js';
import type { Healer } from './heal.js';

/**
 * The bus's metrics on a node of a cluster: whether its bus is connected,
 * hints received from other nodes and dropped (sent while disconnected),
 * sealed messages opened and rejected, other events rejected (no valid tag), and
 * heal-timer passes that found a session behind. Read on each scrape.
 */
export function registerBusMetrics(registry: Registry, bus: ClusterBus, healer: Healer): void {
  const labels = { node: bus.nodeId };
  new Gauge({
    name: 'wss_bus_connected',
    help: 'The bus between nodes is connected (1) or not (0)',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.set(labels, bus.stats().connected ? 1 : 0);
    },
  });
  const counter = (name: string, help: string, read: () => number) => {
    let reported = 0;
    new Counter({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      collect() {
        const now = read();
        this.inc(labels, now - reported);
        reported = now;
      },
    });
  };
  counter('wss_bus_hints_received_total', 'Events received from other nodes (commits, deletes, revocations, presence)', () => bus.stats().hintsReceived);
  counter('wss_bus_hints_dropped_total', 'Hints not sent because the bus was disconnected', () => bus.stats().hintsDropped);
  counter('wss_bus_bodies_opened_total', 'Commit hints from other nodes whose sealed messages were sent on without a store read (one per hint)', () => bus.stats().bodiesOpened);
  counter('wss_bus_bodies_rejected_total', 'Commit hints whose sealed messages did not open under the cluster key (the store was read instead)', () => bus.stats().bodiesRejected);
  counter('wss_bus_events_rejected_total', 'Deletes, revocations and presence from the wire without a valid tag under the cluster key (ignored)', () => bus.stats().eventsRejected);
  counter('wss_heals_total', 'Sessions the heal timer found behind their last seq (or deleted) and caught up', () => healer.stats().heals);
  counter('wss_bus_resyncs_total', 'Resyncs of the local sessions after the bus reconnected', () => healer.stats().resyncs);
}
