import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { awaitListening } from './listening.js';

/** How many warn-or-worse log lines a ServerProcess keeps for a failing test to show. */
const WARN_LINES_KEPT = 200;

const MAIN = resolve(import.meta.dirname, '../dist/server/main.js');

export interface ServerProcessOptions {
  /** Extra env vars (settings) for the server. */
  env?: Record<string, string>;
  /** Reuse a database folder (restarts); a new temp folder otherwise. */
  dir?: string;
  httpPort?: number;
  wsPort?: number;
}

/**
 * The built server (dist/server/main.js) as a child process on loopback, with
 * its own temp database: what `npm start` runs, started the way tests need.
 */
export class ServerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly httpPort: number,
    readonly wsPort: number,
    private readonly options: ServerProcessOptions,
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    /** The last WARN_LINES_KEPT log lines at warn level or above (pino level >= 40), oldest first. */
    readonly warnings: string[],
  ) {}

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get dbPath(): string {
    return join(this.dir, 'app.db');
  }

  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'wss-e2e-'));
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        HTTP_PORT: String(options.httpPort ?? 0),
        WS_PORT: String(options.wsPort ?? 0),
        DB_PATH: join(dir, 'app.db'),
        STATIC_DIR: resolve(import.meta.dirname, '../dist/web'),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A test runner that exits without stopping its servers must not leave them running.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => {
        process.removeListener('exit', killOnExit);
        done({ code, signal });
      }),
    );
    const warnings: string[] = [];
    const ports = await awaitListening(child, undefined, (line) => {
      if (!/"level":(4|5|6)\d/.test(line)) return;
      warnings.push(line);
      if (warnings.length > WARN_LINES_KEPT) warnings.shift();
    });
    if (ports.httpPort === undefined || ports.wsPort === undefined) throw new Error('the server did not say both its ports');
    return new ServerProcess(child, dir, ports.httpPort, ports.wsPort, options, exited, warnings);
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** A new process on the same ports and database. */
  restart(): Promise<ServerProcess> {
    return ServerProcess.start({ ...this.options, dir: this.dir, httpPort: this.httpPort, wsPort: this.wsPort });
  }

  removeData(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
