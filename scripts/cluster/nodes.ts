/**
 * The cluster's nodes: built servers (dist/server/main.js, e2e/server-process.ts)
 * on fixed loopback ports picked once, so HAProxy's configuration holds across
 * kills and restarts. Each is stopped by its own PID, never by a name.
 */
import { rmSync } from 'node:fs';
import { ServerProcess } from '../../e2e/server-process.js';
import { freePort } from '../../server/test/services/process.js';
import { deferred, within, type Deferred } from '../crash/timing.js';

export interface ClusterNode {
  /** NODE_ID, and HAProxy's server name (node1, node2, ...). */
  readonly id: string;
  readonly httpPort: number;
  readonly wsPort: number;
  /** The running process, or null while the node is down. */
  process: ServerProcess | null;
  /** Resolves while the node is up (pending while it is down): what a client pinned to it waits for. */
  up: Deferred<void>;
  /** Every folder a start made (a PostgreSQL node keeps no data there; removed at the end). */
  readonly dirs: Set<string>;
}

/** `count` ports nothing listens on, all different (the kernel may hand a freed port out again). */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < 10 * count; tries++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports`);
  return [...ports];
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** How many times a restart may fail (the port not yet free, say) before the run fails. */
const START_ATTEMPTS = 3;

export class Nodes {
  private constructor(
    readonly list: readonly ClusterNode[],
    private readonly env: Record<string, string>,
  ) {}

  /** Picks the ports and starts every node at once (migrations run on one of them, under an advisory lock). */
  static async start(count: number, env: Record<string, string>, deadline: number): Promise<Nodes> {
    const ports = await distinctFreePorts(2 * count);
    const list: ClusterNode[] = [];
    for (let i = 1; i <= count; i++) {
      list.push({ id: `node${i}`, httpPort: ports[2 * i - 2]!, wsPort: ports[2 * i - 1]!, process: null, up: deferred(), dirs: new Set() });
    }
    const nodes = new Nodes(list, env);
    await Promise.all(list.map((node) => nodes.restart(node, deadline)));
    return nodes;
  }

  get running(): ClusterNode[] {
    return this.list.filter((n) => n.process !== null);
  }

  /** SIGKILL, and waits for the exit; false when it had already exited by itself. */
  async kill(node: ClusterNode): Promise<boolean> {
    const running = node.process;
    if (!running) return false;
    node.process = null;
    node.up = deferred();
    const exit = await running.stop('SIGKILL');
    return exit.signal === 'SIGKILL';
  }

  /** Starts the node again on its ports. */
  async restart(node: ClusterNode, deadline: number): Promise<void> {
    const dir = [...node.dirs][0];
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        const started = ServerProcess.start({
          env: { ...this.env, NODE_ID: node.id },
          httpPort: node.httpPort,
          wsPort: node.wsPort,
          ...(dir ? { dir } : {}),
        });
        // An abandoned start is still stopped by stopAll(): keep its process once it comes.
        started.then((p) => this.adopt(node, p), () => undefined);
        await within(started, deadline, `${node.id} start`);
        node.up.resolve();
        return;
      } catch (err) {
        lastError = err as Error;
      }
    }
    throw new Error(`${node.id}: start failed: ${lastError?.message}`);
  }

  /** SIGTERM to every running node; the exit of each (0 is a clean drain). */
  async terminateAll(deadline: number): Promise<Array<{ id: string } & Exit>> {
    return Promise.all(
      this.running.map(async (node) => {
        const running = node.process!;
        node.process = null;
        const exit = await within(running.stop('SIGTERM'), deadline, `${node.id} exit after SIGTERM`);
        return { id: node.id, ...exit };
      }),
    );
  }

  /** Cleanup, whatever happened: SIGKILL what still runs (by PID), remove the folders. */
  async stopAll(): Promise<void> {
    for (const node of this.list) {
      const running = node.process;
      node.process = null;
      if (running) await within(running.stop('SIGKILL'), Date.now() + 5000, 'SIGKILL').catch(() => undefined);
      for (const dir of node.dirs) rmSync(dir, { recursive: true, force: true });
    }
  }

  private adopt(node: ClusterNode, started: ServerProcess): void {
    node.dirs.add(started.dir);
    if (node.process && node.process !== started) void started.stop('SIGKILL');
    else node.process = started;
  }
}
