import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { z } from 'zod';
import { maxEchoFrameBytes } from './domain/presenter.js';
import { canonicalHostname } from './host-policy.js';

/**
 * Every setting, once: its env var is the key in SNAKE_CASE and its CLI flag
 * the key in kebab-case (httpPort -> HTTP_PORT, --http-port). A flag wins over
 * the env var, which wins over the default. Values are validated here, once.
 */
const number = () => z.coerce.number({ error: 'must be a number' });
const port = number().int('must be a whole number').min(0, 'must be 0 to 65535').max(65535, 'must be 0 to 65535');
const positiveInt = number().int('must be a whole number').min(1, 'must be at least 1');
const nonNegativeInt = number().int('must be a whole number').min(0, 'must be 0 or more');

/**
 * A comma-separated list of exact origins (scheme://host[:port]), allowed besides the app's own. `null` (what a
 * browser sends for a page opened from a file, or a sandboxed one) counts only when listed as such.
 */
const originList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const origins = value.split(',').map((o) => o.trim()).filter(Boolean);
    for (const origin of origins) {
      if (origin === 'null') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        // reported below
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://example.com:8443` });
        return z.NEVER;
      }
    }
    return origins;
  });

/** A comma-separated list of host names or addresses, without ports; canonical (lower case, [IPv6]). */
const hostList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const hosts: string[] = [];
    for (const entry of value.split(',').map((h) => h.trim()).filter(Boolean)) {
      const host = canonicalHostname(isIP(entry) === 6 ? `[${entry}]` : entry);
      if (host === null || entry.includes(':') !== host.startsWith('[')) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not a host name or address (no port), like chat.example.com` });
        return z.NEVER;
      }
      hosts.push(host);
    }
    return hosts;
  });

/** On or off: true/false, 1/0, yes/no, on/off. */
const onOff = () => z.stringbool({ error: 'must be true or false' });

/** false, true (every proxy in X-Forwarded-For is trusted) or how many proxies are in front. */
const proxyTrust = z
  .string()
  .default('false')
  .transform((value, ctx): boolean | number => {
    const v = value.trim().toLowerCase();
    if (v === 'false' || v === '0') return false;
    if (v === 'true') return true;
    if (/^[1-9]\d?$/.test(v)) return Number(v);
    ctx.addIssue({ code: 'custom', message: 'must be false, true, or the number of proxies in front (1 to 99)' });
    return z.NEVER;
  });

const settings = {
  httpPort: port.default(8080).describe('port of the HTTP API and the built SPA (0 picks a free port)'),
  wsPort: port.default(8765).describe('port of the WebSocket server, path /ws/{ID} (0 picks a free port)'),
  host: z.string().min(1).default('0.0.0.0').describe('address both servers listen on'),
  dbPath: z.string().min(1).default('data/app.db').describe('SQLite file (created with its folder)'),
  dbSync: z.enum(['full', 'normal']).default('full').describe('fsync policy of commits: full survives power loss'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('minimum level logged'),
  logFormat: z.enum(['json', 'pretty']).default('json').describe('json for machines, pretty for people'),
  staticDir: z.string().min(1).default('dist/web').describe('folder of the built SPA served on the HTTP port'),
  maxMessageBytes: positiveInt.max(16 * 1024 * 1024, 'must be at most 16777216 (16 MiB)').default(65536).describe('largest WebSocket message, in bytes (close 1009)'),
  allowedOrigins: originList.describe(
    'comma-separated exact origins allowed to connect and to POST/DELETE besides the app\'s own (each allowed host on HTTP_PORT); null (file pages) only when listed',
  ),
  allowedHosts: hostList.describe(
    'comma-separated host names (no port) the server answers to besides localhost, 127.0.0.1 and [::1], 421 for others; empty: HOST when it names one host',
  ),
  devOrigins: onOff().default(false).describe('development: pages of the Vite dev server (VITE_PORT) count as the app\'s own origin; npm run dev sets it'),
  vitePort: port.default(5173).describe('port of the Vite dev server (npm run dev)'),
  trustProxy: proxyTrust.describe(
    'behind a proxy: false, true, or the number of proxies in front; client IP from X-Forwarded-For, https from X-Forwarded-Proto',
  ),
  serveSourceMaps: onOff().default(false).describe('serve the app\'s source maps (.map files, with its full source text) publicly'),
  wsRateLimit: nonNegativeInt.default(20).describe('messages per second per connection, burst twice that; 0 disables'),
  maxConnectionsPerSession: positiveInt.default(8).describe('open WebSockets per session (429 at the upgrade beyond)'),
  wsIpBytesPerSecond: nonNegativeInt
    .default(8 * 1024 * 1024)
    .describe('inbound WebSocket bytes per second per client IP, all its connections together, burst twice that; past it, its sockets are not read from until the rate allows (TCP holds the sender back); 0 disables'),
  maxConnections: positiveInt.default(10_000).describe('open WebSockets in total (503 at the upgrade beyond)'),
  // 8 sessions in all the tabs MAX_CONNECTIONS_PER_SESSION allows.
  maxConnectionsPerIp: positiveInt.default(64).describe('open WebSockets per client IP (429 at the upgrade beyond)'),
  maxSocketsPerIp: nonNegativeInt
    .default(256)
    .describe('open TCP connections per peer IP on both ports together (WebSockets and keep-alive HTTP); beyond, new ones are closed at once; 0: no cap'),
  heartbeatMs: positiveInt.default(30_000).describe('ping interval; a peer silent for a whole interval is terminated'),
  maxBufferedBytes: positiveInt
    .default(4 * 1024 * 1024)
    .describe('output a reader may leave unread (beyond what the kernel holds) before it falls behind: not read from until it drains, then caught up from the store; at least one echo of MAX_MESSAGE_BYTES'),
  wsMaxFragments: positiveInt.default(128).describe('fragments per WebSocket message (close 1008 beyond)'),
  wsMaxBufferedChunks: positiveInt.default(1024).describe('buffered chunks per WebSocket message (close 1008 beyond)'),
  maxBodyBytes: positiveInt.default(16 * 1024).describe('largest HTTP JSON body, in bytes (413)'),
  registerRateLimit: nonNegativeInt.default(30).describe('registrations per minute per client IP (429); 0 disables'),
  authFailureLimit: nonNegativeInt
    .default(30)
    .describe('failed authentications (401, 404 for an unknown session, a rejoin\'s 401 for a wrong token) per minute per client IP, then 429 on HTTP, rejoins and upgrades; 0 disables'),
  maxSessionBytes: nonNegativeInt
    .default(100 * 1024 * 1024)
    .describe('message bytes one session may store, each message counted as body + client id (UTF-8) + 64; beyond, sends are refused with session_storage_full; 0: no limit'),
  minFreeDiskBytes: nonNegativeInt
    .default(256 * 1024 * 1024)
    .describe('free space the database\'s disk keeps: below it, writes (messages and registrations) are refused with storage_unavailable (measured every second); 0: no floor'),
  legacyOpenSessions: onOff()
    .default(false)
    .describe(
      'the original demo\'s clients: a text-mode WebSocket without a token is admitted to an existing session ID, and GET /stream answers ALLOWED_ORIGINS\' cross-origin fetch (CORS)',
    ),
  metricsToken: z.string().default('').describe('Bearer token GET /metrics requires (empty: /metrics is public)'),
  headersTimeoutMs: positiveInt.default(10_000).describe('time to receive the request headers (slowloris guard)'),
  requestTimeoutMs: positiveInt.default(30_000).describe('time to receive a whole request'),
  retentionMaxAgeDays: number().min(0, 'must be 0 or more').default(0).describe('delete messages older than this many days (0: keep forever)'),
  retentionMaxMessages: nonNegativeInt.default(0).describe('keep at most this many messages per session (0: no limit)'),
  retentionIntervalMs: positiveInt.default(60_000).describe('how often retention runs'),
  databaseUrl: z
    .string()
    .default('')
    .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL')
    .describe('PostgreSQL store, postgres://user:password@host:port/db (empty: SQLite at DB_PATH, one node)'),
  bus: z
    .enum(['', 'local', 'postgres', 'redis'], { error: 'must be local, postgres or redis' })
    .default('')
    .describe('bus between nodes: local (one node), postgres (LISTEN/NOTIFY) or redis; empty: postgres with DATABASE_URL, else local'),
  redisUrl: z
    .string()
    .default('')
    .refine((v) => v === '' || /^rediss?:\/\//.test(v), 'must be a redis:// URL')
    .describe('Redis for BUS=redis and, with it, the shared per-IP limits, redis://host:port'),
  nodeId: z
    .string()
    .default('')
    .refine((v) => /^[A-Za-z0-9_.-]{0,64}$/.test(v), 'must be up to 64 of A-Z a-z 0-9 _ . -')
    .describe('name of this node in logs and metrics (empty: generated at start)'),
  healIntervalMs: positiveInt
    .default(1000)
    .describe('with a cross-node bus, how often each local session\'s last seq is compared with its connections\' cursors, and presence counts are republished (a node\'s count not heard for 3 intervals is dropped)'),
  shutdownDrainMs: nonNegativeInt
    .max(30_000, 'must be at most 30000 (30 s)')
    .default(0)
    .describe('on SIGTERM, time /readyz answers 503 (open sockets are served as ever) before the listeners close; the process ends within 5 s after it'),
} satisfies Record<string, z.ZodType>;

/**
 * Settings that must fit together. A reader is cut off when more than
 * MAX_BUFFERED_BYTES stays unsent; were one echo larger, a client reading
 * promptly could be cut off for a single message.
 */
const configSchema = z.object(settings).superRefine((config, ctx) => {
  if (config.httpPort !== 0 && config.httpPort === config.wsPort) {
    ctx.addIssue({ code: 'custom', path: ['wsPort'], message: `must differ from HTTP_PORT (${config.httpPort}): each server needs its own port` });
  }
  if (config.maxSocketsPerIp !== 0 && config.maxSocketsPerIp <= config.maxConnectionsPerIp) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxSocketsPerIp'],
      message: `must be more than MAX_CONNECTIONS_PER_IP (${config.maxConnectionsPerIp}): each WebSocket is a TCP connection too, and HTTP needs some`,
    });
  }
  if (config.bus !== '' && config.bus !== 'local' && config.databaseUrl === '') {
    ctx.addIssue({ code: 'custom', path: ['bus'], message: 'a bus between nodes needs the shared PostgreSQL store: set DATABASE_URL (SQLite is one node)' });
  }
  if (config.bus === 'redis' && config.redisUrl === '') {
    ctx.addIssue({ code: 'custom', path: ['bus'], message: 'BUS=redis needs REDIS_URL' });
  }
  const echoBytes = maxEchoFrameBytes(config.maxMessageBytes);
  if (config.maxBufferedBytes < echoBytes) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxBufferedBytes'],
      message:
        `must be at least ${echoBytes}, the largest echo of a message of MAX_MESSAGE_BYTES (${config.maxMessageBytes}) ` +
        'once JSON-escaped; raise it or lower MAX_MESSAGE_BYTES',
    });
  }
});
export type Config = z.infer<typeof configSchema>;
type SettingName = keyof typeof settings;

const names = Object.keys(settings) as SettingName[];
const envName = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
const flagName = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A bad setting: its message is the one line printed before the start stops. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ConfigResult = { help: true; text: string } | { help: false; config: Config };

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): ConfigResult {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(names.map((n) => [flagName(n), { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`);
  }
  if (flags.help) return { help: true, text: helpText() };

  const raw: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  for (const name of names) {
    const flag = flags[flagName(name)];
    const fromEnv = env[envName(name)];
    if (typeof flag === 'string') {
      raw[name] = flag;
      sourceOf[name] = `--${flagName(name)}`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = fromEnv;
      sourceOf[name] = envName(name);
    } else {
      sourceOf[name] = envName(name);
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const value = raw[name] === undefined ? '' : ` ${JSON.stringify(raw[name])}`;
    throw new ConfigError(`invalid ${sourceOf[name]}${value}: ${issue.message}`);
  }
  return { help: false, config: parsed.data };
}

export function helpText(): string {
  const rows = names.map((name) => {
    const schema = settings[name];
    const value: unknown = schema.parse(undefined);
    const fallback = Array.isArray(value) ? `"${value.join(',')}"` : JSON.stringify(value);
    const inner: z.ZodType = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
    const choices = inner instanceof z.ZodEnum ? `; one of ${inner.options.join(', ')}` : '';
    return `  --${flagName(name)}, ${envName(name)}\n      ${schema.description} (default ${fallback}${choices})`;
  });
  return [
    'Usage: npm start -- [options]',
    '',
    'Every option is also an environment variable; a flag wins over the variable.',
    '',
    ...rows,
    '  --help, -h',
    '      print this help and exit',
    '',
  ].join('\n');
}
