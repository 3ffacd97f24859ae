import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where JSON lines go (stdout by default); tests read them from here. */
  destination?: DestinationStream;
}

/** Query parameters whose values never reach a log line. */
const SECRET_PARAMS = /([?&](?:token|access_token)=)[^&#]*/gi;

/** A URL as it may be logged: secret query values replaced. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_PARAMS, '$1[Redacted]');
}

/** Serializer for Node requests: method, redacted URL, and no headers but the harmless ones. */
export function requestSummary(req: IncomingMessage) {
  return {
    method: req.method,
    url: redactUrl(req.url),
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
  };
  if (format === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // Asynchronous writes: a synchronous write to a slow stdout (a pipe whose
  // reader lags) stalled requests by milliseconds (measured). main.ts flushes
  // before the process exits, so nothing is lost on a clean stop.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
