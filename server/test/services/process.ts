/**
 * What the private PostgreSQL and Redis of the tests share: a free loopback
 * port, running a Debian binary (as the `postgres` user when we are root:
 * initdb and pg_ctl refuse root), and stopping a process by its PID.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A port nothing listens on now (the kernel's pick for port 0 on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs `file` to completion (as `user` when we are root); rejects with its output when it fails. */
export async function runAs(user: string | null, file: string, args: readonly string[]): Promise<string> {
  const asRoot = user !== null && process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', user, '--', file, ...args]] : [file, [...args]];
  try {
    const { stdout } = await run(cmd, argv, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Sends `signal` to the process and waits (bounded) until it is gone; then
 * SIGKILL if it is still there. Only the PID we started, never a name.
 */
export async function stopPid(pid: number, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, signal);
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!alive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** The command to run when a binary is missing (no test is skipped for it). */
export function missing(binary: string, packages: string): Error {
  return new Error(`${binary} is not installed: run \`sh scripts/ensure-test-deps.sh\` (as root) or \`sudo apt-get install -y ${packages}\``);
}
