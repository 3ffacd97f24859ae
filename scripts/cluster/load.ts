/**
 * The load of a cluster run: for each session, a writer through HAProxy and
 * one connected straight to a node, and an observer on every node and one
 * through HAProxy. All are crash-test clients (scripts/crash/client.ts):
 * they reconnect with ?after=, resend what was not acknowledged, and check
 * each connection's sequence as it arrives.
 */
import type { RegisteredSession } from '../../protocol/wire.js';
import { CrashClient } from '../crash/client.js';
import type { CrossNodeLatency } from './latency.js';
import type { ClusterNode } from './nodes.js';

export interface Endpoint {
  /** A node's id, or 'proxy'. */
  name: string;
  wsBase: string;
  /** Pending while the endpoint is down (a proxy is always up: it routes to a node that is). */
  up(): Promise<void>;
}

export const nodeEndpoint = (node: ClusterNode): Endpoint => ({ name: node.id, wsBase: `ws://127.0.0.1:${node.wsPort}`, up: () => node.up.promise });

export interface ClientFactory {
  /** A writer sending up to `maxMessages` (0: an observer, which only receives). */
  (name: string, session: RegisteredSession, at: Endpoint, maxMessages: number): CrashClient;
}

/** Makes clients with the run's bounds; direct ones feed the latency figures. */
export function clientFactory(deadline: number, pace: { window: number; sendIntervalMs: number }, latency: CrossNodeLatency, onAck: () => void): ClientFactory {
  let made = 0;
  return (name, session, at, maxMessages) => {
    const direct = at.name !== 'proxy';
    return new CrashClient({
      name,
      sessionId: session.id,
      token: session.token,
      wsBase: at.wsBase,
      ...pace,
      maxMessages,
      deadline,
      serverUp: at.up,
      maxConnectAttempts: 1000,
      onAck,
      eager: made++ % 2 === 0,
      ...(direct ? { onFirstSend: latency.sentFrom(at.name), onDelivered: latency.deliveredOn(at.name) } : {}),
    });
  };
}

/** Writers and observers of the sessions under load; started by the caller. */
export function loadClients(
  sessions: readonly RegisteredSession[],
  nodes: readonly ClusterNode[],
  proxy: Endpoint,
  make: ClientFactory,
  maxMessagesPerWriter: number,
): { writers: CrashClient[]; observers: CrashClient[] } {
  const writers: CrashClient[] = [];
  const observers: CrashClient[] = [];
  sessions.forEach((session, i) => {
    const home = nodes[i % nodes.length]!;
    writers.push(make(`s${i}-wp`, session, proxy, maxMessagesPerWriter));
    writers.push(make(`s${i}-w${home.id}`, session, nodeEndpoint(home), maxMessagesPerWriter));
    observers.push(make(`s${i}-op`, session, proxy, 0));
    for (const node of nodes) observers.push(make(`s${i}-o${node.id}`, session, nodeEndpoint(node), 0));
  });
  return { writers, observers };
}
