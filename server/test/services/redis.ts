/**
 * A private Redis for tests: `redis-server --port N --save ''` (no
 * persistence) on a free loopback port in a temp folder, stopped by PID.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, missing, stopPid } from './process.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface PrivateRedis {
  url: string;
  pid: number;
  /** Runs one command on a connection of its own (CLIENT KILL, say). */
  command(...args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts a Redis on `port` (default: a free one; a test that starts Redis after a node gives the node's REDIS_URL port). */
export async function startRedis(port?: number): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wss-redis-'));
  port ??= await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missing(REDIS_SERVER, 'redis-server') : err));
      child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  child.stdout.resume();
  child.stderr.resume();
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    async command(...args) {
      const client = new Redis(url, { lazyConnect: true });
      await client.connect();
      try {
        return await client.call(args[0]!, ...args.slice(1));
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      child.removeAllListeners('exit');
      await stopPid(child.pid!, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
