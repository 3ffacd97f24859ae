/**
 * Cross-node delivery latency: from a writer's first write of a message on
 * node A to its live echo at a client on node B (A != B), in ms. Echoes read
 * in a replay (after a reconnect) are not delivery latency and are left out.
 */
export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export class CrossNodeLatency {
  private readonly sentAt = new Map<string, { node: string; at: number }>();
  private readonly samples: number[] = [];
  /** Samples from steady() on: load without faults. */
  private readonly steadySamples: number[] = [];
  private steadyFrom = Infinity;

  /** Messages sent from now on also count as steady (no faults any more). */
  steady(): void {
    this.steadyFrom = performance.now();
  }

  /** The hook of a writer connected to `node`. */
  sentFrom(node: string): (id: string) => void {
    return (id) => this.sentAt.set(id, { node, at: performance.now() });
  }

  /** The hook of a client connected to `node`. */
  deliveredOn(node: string): (id: string | null, seq: number, live: boolean) => void {
    return (id, _seq, live) => {
      const sent = id === null ? undefined : this.sentAt.get(id);
      if (!live || !sent || sent.node === node) return;
      const ms = performance.now() - sent.at;
      this.samples.push(ms);
      if (sent.at >= this.steadyFrom) this.steadySamples.push(ms);
    };
  }

  /** Over the whole run (faults included), or only the steady part. */
  summary(part: 'all' | 'steady' = 'all'): LatencySummary {
    const sorted = [...(part === 'all' ? this.samples : this.steadySamples)].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
    return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }
}
