/**
 * The heal timer of a node on a cross-node bus. Hints can be lost (a
 * dropped bus connection, a node dying between COMMIT and publish), and a
 * lost hint for a session's last message would leave its observers behind
 * until the next message, which may never come. Every `intervalMs`, and at
 * once after the bus reconnects, it reads the last seq of every session with
 * connections on this node (one query) and hands the node's own subscribers
 * a body-less `committed` hint up to it for each session whose connections
 * are behind (they catch up from the store: ws/feed.ts), or `deleted` for a
 * session that is gone. It reads their token hashes in the same pass: a
 * connection authorised with a token the session no longer has was revoked
 * on another node whose `revoked` never came, and gets that `revoked` now
 * (closed with 4002), as `deleted` and the seqs are healed.
 */
import type { Diagnostics, DomainLogger, MessageLog, SessionRepository } from '../domain/ports.js';
import type { ClusterBus } from './cluster.js';

export interface HealerDeps {
  bus: ClusterBus;
  log: Pick<MessageLog, 'lastSeqs'>;
  tokens: Pick<SessionRepository, 'tokenHashes'>;
  /** This node's sessions and their connections. */
  sessions: Diagnostics['sessions'];
  logger: DomainLogger;
}

export interface Healer {
  /** One pass now (the timer's, or a resync's); resolves with the sessions healed. Passes never overlap. */
  runOnce(): Promise<number>;
  /** Sessions healed (hinted to catch up, closed as deleted, or a revoked token's sockets closed) since start; resyncs after a reconnect. */
  stats(): { heals: number; resyncs: number };
  stop(): Promise<void>;
}

export function startHealer({ bus, log, tokens, sessions, logger }: HealerDeps, intervalMs: number): Healer {
  let heals = 0;
  let resyncs = 0;
  let running: Promise<number> | undefined;

  async function pass(): Promise<number> {
    const local = sessions();
    if (local.length === 0) return 0;
    const pks = local.map((s) => s.sessionPk);
    const [lastSeqs, tokenHashes] = await Promise.all([log.lastSeqs(pks), tokens.tokenHashes(pks)]);
    let healed = 0;
    for (const { sessionPk, sessionId, connections } of local) {
      const lastSeq = lastSeqs.get(sessionPk);
      const tokenHash = tokenHashes.get(sessionPk)?.toString('hex');
      if (lastSeq === undefined || tokenHash === undefined) {
        healed++;
        bus.deliverLocally({ type: 'deleted', sessionPk, sessionId });
        continue;
      }
      // Connections listed before the read: one with a token other than the one read was revoked before the read.
      const revoked = new Set(connections.map((c) => c.tokenHash).filter((hash): hash is string => hash !== null && hash !== tokenHash));
      for (const hash of revoked) bus.deliverLocally({ type: 'revoked', sessionPk, sessionId, tokenHash: hash });
      if (revoked.size > 0) healed++;
      // Connections reading the store (a replay, a catch-up) read on to the end by themselves.
      const cursors = connections.filter((c) => c.mode === 'json' && !c.replaying).map((c) => c.cursor);
      if (cursors.length === 0) continue;
      const lowest = Math.min(...cursors);
      if (lowest >= lastSeq) continue;
      healed++;
      bus.deliverLocally({ type: 'committed', sessionPk, sessionId, fromSeq: lowest + 1, toSeq: lastSeq });
    }
    heals += healed;
    if (healed > 0) logger.info({ healed }, 'heal: sessions behind their last seq caught up');
    return healed;
  }

  const runOnce = (): Promise<number> => (running ??= pass().finally(() => (running = undefined)));
  const tick = () => {
    runOnce().catch((err: unknown) => logger.warn({ err }, 'heal pass failed'));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  const offReconnect = bus.onReconnect(() => {
    resyncs++;
    // A pass already running may have read before the reconnect: another follows it.
    void (running ?? Promise.resolve()).catch(() => undefined).then(tick);
  });

  return {
    runOnce,
    stats: () => ({ heals, resyncs }),
    async stop() {
      clearInterval(timer);
      offReconnect();
      await running?.catch(() => undefined);
    },
  };
}
