import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, loadConfig } from '../config.js';

const MAIN = resolve(import.meta.dirname, '../../dist/server/main.js');
const run = promisify(execFile);

function load(env: Record<string, string>, argv: string[] = []) {
  const result = loadConfig(env, argv);
  if (result.help) throw new Error('unexpected help');
  return result.config;
}

describe('configuration', () => {
  it('takes every setting from its env var and its flag, the flag winning', () => {
    const fromEnv = load({ HTTP_PORT: '1234', WS_RATE_LIMIT: '0', ALLOWED_ORIGINS: 'https://a.example, http://b.example:81', DB_SYNC: 'normal' });
    expect(fromEnv).toMatchObject({ httpPort: 1234, wsRateLimit: 0, allowedOrigins: ['https://a.example', 'http://b.example:81'], dbSync: 'normal' });
    expect(load({ HTTP_PORT: '1234' }, ['--http-port', '4321']).httpPort).toBe(4321);
    // `null` (a page opened from a file) is an origin only when listed as such.
    expect(load({ ALLOWED_ORIGINS: 'null,http://a.example' }).allowedOrigins).toEqual(['null', 'http://a.example']);
    expect(load({}).legacyOpenSessions).toBe(false);
    // Every setting has both names in --help.
    const help = helpText();
    for (const [name, value] of Object.entries(load({}))) {
      const env = name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
      const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      expect(help, name).toContain(`${flag}, ${env}\n`);
      expect(load({ [env]: String(Array.isArray(value) ? '' : value) })[name as keyof ReturnType<typeof load>]).toEqual(value);
    }
  });

  it.each([
    [{ HTTP_PORT: 'abc' }, 'invalid HTTP_PORT "abc": must be a number'],
    [{ WS_PORT: '70000' }, 'invalid WS_PORT "70000": must be 0 to 65535'],
    [{ MAX_MESSAGE_BYTES: '0' }, 'invalid MAX_MESSAGE_BYTES "0": must be at least 1'],
    [{ MAX_MESSAGE_BYTES: '16777217' }, 'invalid MAX_MESSAGE_BYTES "16777217": must be at most 16777216 (16 MiB)'],
    [{ SHUTDOWN_DRAIN_MS: '30001' }, 'invalid SHUTDOWN_DRAIN_MS "30001": must be at most 30000 (30 s)'],
    [{ SHUTDOWN_DRAIN_MS: '-1' }, 'invalid SHUTDOWN_DRAIN_MS "-1": must be 0 or more'],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'invalid ALLOWED_ORIGINS'],
    [{ ALLOWED_ORIGINS: 'NULL' }, 'invalid ALLOWED_ORIGINS'],
    [{ LEGACY_OPEN_SESSIONS: 'maybe' }, 'invalid LEGACY_OPEN_SESSIONS "maybe": must be true or false'],
    [{ DB_SYNC: 'sometimes' }, 'invalid DB_SYNC "sometimes"'],
    [{ MAX_CONNECTIONS_PER_IP: '0' }, 'invalid MAX_CONNECTIONS_PER_IP "0": must be at least 1'],
    [{ AUTH_FAILURE_LIMIT: '-1' }, 'invalid AUTH_FAILURE_LIMIT "-1": must be 0 or more'],
    [{ MAX_SESSION_BYTES: '1e3.5' }, 'invalid MAX_SESSION_BYTES "1e3.5": must be a number'],
    [{ MIN_FREE_DISK_BYTES: '1.5' }, 'invalid MIN_FREE_DISK_BYTES "1.5": must be a whole number'],
    // One echo of a 64 KiB message of control characters is 394,145 bytes once JSON-escaped.
    [{ MAX_BUFFERED_BYTES: '65536' }, 'invalid MAX_BUFFERED_BYTES "65536": must be at least 394145, the largest echo of a message of MAX_MESSAGE_BYTES (65536)'],
    [{ MAX_MESSAGE_BYTES: '1000000' }, 'invalid MAX_BUFFERED_BYTES: must be at least 6000929'],
    [{ ALLOWED_HOSTS: 'chat.example.com:443' }, 'invalid ALLOWED_HOSTS "chat.example.com:443": "chat.example.com:443" is not a host name'],
    [{ ALLOWED_HOSTS: 'https://chat.example.com' }, 'invalid ALLOWED_HOSTS'],
    [{ TRUST_PROXY: 'yes' }, 'invalid TRUST_PROXY "yes": must be false, true, or the number of proxies'],
    [{ DEV_ORIGINS: 'maybe' }, 'invalid DEV_ORIGINS "maybe": must be true or false'],
    [{ MAX_SOCKETS_PER_IP: '64' }, 'invalid MAX_SOCKETS_PER_IP "64": must be more than MAX_CONNECTIONS_PER_IP (64)'],
    [{ MAX_SOCKETS_PER_IP: '200', MAX_CONNECTIONS_PER_IP: '300' }, 'invalid MAX_SOCKETS_PER_IP "200": must be more than MAX_CONNECTIONS_PER_IP (300)'],
  ])('refuses %j with one line naming the setting', (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it('has the documented defaults for the per-IP, storage and metrics settings', () => {
    expect(load({})).toMatchObject({
      maxConnectionsPerIp: 64,
      maxSocketsPerIp: 256,
      authFailureLimit: 30,
      maxSessionBytes: 100 * 1024 * 1024,
      minFreeDiskBytes: 256 * 1024 * 1024,
      metricsToken: '',
      maxBufferedBytes: 4 * 1024 * 1024,
    });
    expect(load({ METRICS_TOKEN: 's3cret-for-prometheus', MAX_SESSION_BYTES: '0', MIN_FREE_DISK_BYTES: '0', MAX_SOCKETS_PER_IP: '0' })).toMatchObject({
      maxSocketsPerIp: 0,
      metricsToken: 's3cret-for-prometheus',
      maxSessionBytes: 0,
      minFreeDiskBytes: 0,
    });
  });

  it('takes MAX_BUFFERED_BYTES down to one echo of MAX_MESSAGE_BYTES, and no lower', () => {
    expect(load({ MAX_BUFFERED_BYTES: '65536', MAX_MESSAGE_BYTES: '10000' }).maxBufferedBytes).toBe(65536);
    expect(load({ MAX_BUFFERED_BYTES: '394145' }).maxBufferedBytes).toBe(394145);
    expect(() => load({ MAX_BUFFERED_BYTES: '394144' })).toThrow(ConfigError);
  });

  it('npm start -- --help lists the settings and exits 0; a bad value stops the start with one line', async () => {
    const help = await run(process.execPath, [MAIN, '--help']);
    expect(help.stdout).toContain('--http-port, HTTP_PORT');
    expect(help.stdout).toContain('(default 8080)');

    const failure = await run(process.execPath, [MAIN], { env: { ...process.env, HTTP_PORT: 'abc' } }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 2 });
    const lines = (failure as { stderr: string }).stderr.trim().split('\n');
    expect(lines).toEqual(['websocket-session: invalid HTTP_PORT "abc": must be a number']);

    const tooSmall = await run(process.execPath, [MAIN], { env: { ...process.env, MAX_BUFFERED_BYTES: '65536' } }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(tooSmall).toMatchObject({ code: 2 });
    expect((tooSmall as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'websocket-session: invalid MAX_BUFFERED_BYTES "65536": must be at least 394145, the largest echo of a message of ' +
        'MAX_MESSAGE_BYTES (65536) once JSON-escaped; raise it or lower MAX_MESSAGE_BYTES',
    ]);
  });

  it('--help gives each default once and the values an enum setting takes', async () => {
    const help = helpText();
    const origins = help.slice(help.indexOf('--allowed-origins'), help.indexOf('--allowed-hosts'));
    expect(origins.match(/default/g)).toHaveLength(1);
    expect(help).toContain('(default "full"; one of full, normal)');
    expect(help).toContain('(default "info"; one of fatal, error, warn, info, debug, trace, silent)');
    expect(help).toContain('(default "json"; one of json, pretty)');
  });

  it('refuses HTTP_PORT and WS_PORT set to the same port, in one line; 0 for both is fine', () => {
    expect(() => load({ HTTP_PORT: '58080', WS_PORT: '58080' })).toThrow(
      new ConfigError('invalid WS_PORT "58080": must differ from HTTP_PORT (58080): each server needs its own port'),
    );
    expect(() => load({}, ['--http-port', '9000', '--ws-port', '9000'])).toThrow(/--ws-port "9000": must differ/);
    expect(load({ HTTP_PORT: '0', WS_PORT: '0' })).toMatchObject({ httpPort: 0, wsPort: 0 });
  });

  it('a DB_PATH whose folder cannot be made (under /proc) stops the start with one line, at once', async () => {
    const failure = await run(process.execPath, [MAIN], {
      env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: '0', WS_PORT: '0', DB_PATH: '/proc/nope/deeper/app.db' },
      timeout: 20_000,
    }).catch((err: { code: number; stderr: string; killed: boolean }) => err);
    expect(failure).toMatchObject({ code: 2, killed: false });
    expect((failure as { stderr: string }).stderr.trim()).toBe(
      'websocket-session: cannot open DB_PATH "/proc/nope/deeper/app.db": cannot create the folder /proc/nope (ENOENT)',
    );
  });

  it('a port in use stops the start with one line naming it', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failure = await run(process.execPath, [MAIN], {
        env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: String(port), WS_PORT: '0', DB_PATH: ':memory:' },
      }).catch((err: { code: number; stderr: string }) => err);
      expect((failure as { stderr: string }).stderr.trim()).toBe(`websocket-session: HTTP_PORT ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });
});
