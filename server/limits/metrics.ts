import { Counter, type Registry } from 'prom-client';
import type { IpCounters } from './index.js';

/**
 * How often the per-IP limits counted in memory because their shared store
 * failed or was late (insured.ts), labelled with the store. Read on each
 * scrape; always 0 with the memory store.
 */
export function registerIpLimitMetrics(registry: Registry, ipCounters: Pick<IpCounters, 'kind' | 'fallbacks'>): void {
  let reported = 0;
  new Counter({
    name: 'wss_ip_limit_fallbacks_total',
    help: 'Per-IP limit counts taken in this node\'s memory because the shared store (PostgreSQL, Redis) failed or was late',
    labelNames: ['store'],
    registers: [registry],
    collect() {
      const now = ipCounters.fallbacks();
      this.inc({ store: ipCounters.kind }, now - reported);
      reported = now;
    },
  });
}
