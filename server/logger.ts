import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';
import { EPOCH_PATTERN } from './domain/epoch.js';
import { TOKEN_CHARS } from './domain/token.js';
import { isValidSessionId } from '../protocol/session-id.js';
import { stdoutDestination } from './log-destination.js';
import { requestTarget } from './request-target.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where JSON lines go (stdout by default); tests read them from here. */
  destination?: DestinationStream;
}

const DIGITS = /^\d{1,16}$/;

/**
 * Query parameters whose values are logged, each only when it has its
 * expected shape: none is a secret or someone's text, and a value of another
 * shape (a token pasted into `id=`) is not what it claims to be.
 */
const LOGGED_PARAMS: ReadonlyMap<string, (value: string) => boolean> = new Map([
  ['id', isValidSessionId],
  ['before', (v: string) => DIGITS.test(v)],
  ['after', (v: string) => DIGITS.test(v)],
  ['limit', (v: string) => DIGITS.test(v)],
  ['offset', (v: string) => DIGITS.test(v)],
  ['epoch', (v: string) => EPOCH_PATTERN.test(v)],
  ['format', (v: string) => v === 'ndjson' || v === 'csv'],
]);

const loggedValue = (name: string, value: string) =>
  LOGGED_PARAMS.get(name)?.(value) === true ? encodeURIComponent(value) : '[Redacted]';

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
 * LOGGED_PARAMS only, matched by decoded name and of the expected shape;
 * every other value is replaced,
 * so `token=`, `TOKEN=`, `%74oken=`, a second `token=` and any name a
 * client invents never carry a secret into a log. The path is logged
 * percent-decoded, so a token hidden in it by encoding meets the censor below.
 */
export function loggableUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const { path, query } = requestTarget(url);
  const params = [...query].map(([name, value]) =>
    `${encodeURIComponent(name)}=${loggedValue(name, value)}`,
  );
  return decodeEscapes(path) + (params.length > 0 ? `?${params.join('&')}` : '');
}

/**
 * What may hold a session token: any run of TOKEN_CHARS or more base64url
 * characters, wherever it stands in a line (`id=x<T>`, `/A<T>`, `%3D<T>`:
 * a token touching other letters is still a token). Every log line, at every
 * level and in every format, has these censored as it is written: a token in
 * a path, a header or an error message cannot be caught by field names. A
 * session ID of 43 characters or more is censored too; a price paid knowingly.
 */
const TOKEN_SHAPED = new RegExp(`[A-Za-z0-9_-]{${TOKEN_CHARS},}`, 'g');

export const censorTokens = (line: string) => line.replace(TOKEN_SHAPED, '[Redacted]');

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
