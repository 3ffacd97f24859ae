/**
 * HAProxy in front of the nodes, run from deploy/haproxy.cfg as shipped: the
 * file reads its addresses from the environment ("${NAME-default}"), so the
 * run hands it the loopback ports picked for the proxy and the nodes, and a
 * short health-check interval. Stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { missing, stopPid } from '../../server/test/services/process.js';
import { delay, within } from '../crash/timing.js';
import { distinctFreePorts, type ClusterNode } from './nodes.js';

export const HAPROXY = process.env.HAPROXY ?? '/usr/sbin/haproxy';
export const HAPROXY_CFG = resolve(import.meta.dirname, '../../deploy/haproxy.cfg');

/** How often HAProxy checks /readyz in the run (the shipped default is 2 s). */
const CHECK_INTER = '200ms';

export interface Proxy {
  httpUrl: string;
  wsUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** The environment deploy/haproxy.cfg reads, for these nodes and proxy ports. */
export function haproxyEnv(nodes: readonly ClusterNode[], httpPort: number, wsPort: number): Record<string, string> {
  const env: Record<string, string> = { BIND_ADDR: '127.0.0.1', HTTP_PORT: String(httpPort), WS_PORT: String(wsPort), CHECK_INTER };
  nodes.forEach((node, i) => {
    env[`NODE${i + 1}_HOST`] = '127.0.0.1';
    env[`NODE${i + 1}_HTTP`] = String(node.httpPort);
    env[`NODE${i + 1}_WS`] = String(node.wsPort);
  });
  return env;
}

/** Starts HAProxy in the foreground (-db) and resolves once /readyz answers 200 through it. */
export async function startProxy(nodes: readonly ClusterNode[], deadline: number): Promise<Proxy> {
  if (!existsSync(HAPROXY)) throw missing(HAPROXY, 'haproxy');
  // The nodes listen already: their ports are not free.
  const [httpPort, wsPort] = (await distinctFreePorts(2)) as [number, number];
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', HAPROXY_CFG], {
    env: { ...process.env, ...haproxyEnv(nodes, httpPort, wsPort) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 8192) stderr += chunk.toString();
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const proxy: Proxy = {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    pid: child.pid!,
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopPid(child.pid!, 'SIGTERM');
    },
  };
  try {
    await within(ready(proxy.httpUrl, child), deadline, 'HAProxy to answer /readyz');
  } catch (err) {
    await proxy.stop();
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return proxy;
}

async function ready(httpUrl: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode})`);
    const status = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, () => 0);
    if (status === 200) return;
    await delay(50);
  }
}
