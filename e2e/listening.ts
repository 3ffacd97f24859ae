import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The JSON log line in which a server says where it listens (the real one: httpPort + wsPort; bench references: port). */
export interface ListeningLine {
  httpPort?: number;
  wsPort?: number;
  port?: number;
}

/**
 * Resolves with the first line of a child server's stdout that names its
 * port(s), and the time it arrived; rejects, with what the child wrote to
 * stderr, if it exits or `timeoutMs` passes first. stdout keeps being drained
 * afterwards so the child never blocks on a full pipe; each later line goes to
 * `onLine` when given.
 */
export function awaitListening(
  child: ChildProcess,
  timeoutMs = 20_000,
  onLine: (line: string) => void = () => undefined,
): Promise<ListeningLine & { at: number }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8192) stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      lines.removeAllListeners('line');
      lines.on('line', onLine);
      reject(new Error(`server ${why} before listening: ${stderr}`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`not listening after ${timeoutMs} ms`);
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited (${code ?? signal})`);
    child.once('exit', onExit);
    lines.on('line', (line) => {
      let entry: ListeningLine;
      try {
        entry = JSON.parse(line) as ListeningLine;
      } catch {
        return; // not a JSON line
      }
      if (entry.wsPort === undefined && entry.port === undefined) return;
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      lines.removeAllListeners('line');
      lines.on('line', onLine);
      resolve({ ...entry, at: performance.now() });
    });
  });
}
