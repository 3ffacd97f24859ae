import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { TOKEN_CHARS } from './domain/token.js';
import { stdoutDestination } from './log-destination.js';
import { requestTarget } from './request-target.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where JSON lines go (stdout by default); tests read them from here. */
  destination?: DestinationStream;
}

/** Query parameters whose values are logged: none is a secret or someone's text. */
const LOGGED_PARAMS = new Set(['id', 'before', 'after', 'epoch', 'limit', 'offset', 'format']);

/** Runs of valid percent-escapes: decoded one run at a time, so a malformed one elsewhere stops nothing. */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

const decodeEscapes = (text: string) =>
  text.replace(ESCAPES, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });

/**
 * A request-target as it may be logged. The query keeps the values of
 * LOGGED_PARAMS only, matched by decoded name; every other value is replaced,
 * so `token=`, `TOKEN=`, `%74oken=`, a second `token=` and any name a
 * client invents never carry a secret into a log. The path is logged
 * percent-decoded, so a token hidden in it by encoding meets the censor below.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const { path, query } = requestTarget(url);
  const params = [...query].map(([name, value]) =>
    `${encodeURIComponent(name)}=${LOGGED_PARAMS.has(name) ? encodeURIComponent(value) : '[Redacted]'}`,
  );
  return decodeEscapes(path) + (params.length > 0 ? `?${params.join('&')}` : '');
}

/**
 * A session token's shape: TOKEN_CHARS of base64url, not part of
 * a longer run. Every log line, at every level and in every format, has these
 * censored as it is written: a token in a path, a header or an error message
 * cannot be caught by field names. A session ID of exactly 43 characters is
 * censored too; a price paid knowingly.
 */
const TOKEN_SHAPED = new RegExp(`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{${TOKEN_CHARS}}(?![A-Za-z0-9_-])`, 'g');

const censorTokens = (line: string) => line.replace(TOKEN_SHAPED, '[Redacted]');

/** Serializer for Node requests: method, redacted URL, and no headers but the harmless ones. */
function requestSummary(req: IncomingMessage) {
  return {
    method: req.method,
    url: loggableUrl(req.url),
    remoteAddress: req.socket?.remoteAddress,
    origin: req.headers.origin,
    userAgent: req.headers['user-agent'],
  };
}

export function createLogger({ level, format, destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    // Belt and braces: if a token, cookie or message body is ever logged by
    // mistake, it is censored here.
    redact: {
      paths: [
        'token',
        '*.token',
        'body',
        '*.body',
        'text',
        '*.text',
        'headers.authorization',
        'headers.cookie',
        '*.headers.authorization',
        '*.headers.cookie',
        'headers["set-cookie"]',
        '*.headers["set-cookie"]',
      ],
      censor: '[Redacted]',
    },
    serializers: { req: requestSummary },
    hooks: { streamWrite: censorTokens },
  };
  if (format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // main.ts flushes before the process exits, so nothing is lost on a clean stop.
  return pino(options, destination ?? stdoutDestination());
}
