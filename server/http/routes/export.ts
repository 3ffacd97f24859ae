import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';
import type { StoredMessage } from '../../domain/model.js';
import type { MessageLog } from '../../domain/ports.js';
import { historyMessage } from '../../domain/presenter.js';
import type { SessionService } from '../../domain/session-service.js';
import { parseQuery } from '../query.js';
import { exportQuerySchema } from '../schemas.js';
import { requireAuthorizedSession } from '../session-view.js';

/**
 * Rows read from the log per pull of the response stream: small, since an
 * echo may wait behind one chunk's reading and formatting (issue 13: chunks
 * of 1,000 rows pulled back to back by a fast client held echoes up).
 */
const EXPORT_CHUNK = 250;

type ExportFormat = z.infer<typeof exportQuerySchema>['format'];

/**
 * Spreadsheets run cells that start like a formula (= + - @ tab CR, and their
 * full-width forms): csv-stringify's escape_formulas puts OWASP's leading
 * apostrophe before every such string cell, whichever column a client
 * controls (id, body). NDJSON is the exact export; CSV is for spreadsheets.
 */
const CSV_OPTIONS = { escape_formulas: true } as const;

function formatRows(format: ExportFormat, sessionId: string, rows: StoredMessage[]): string {
  if (format === 'ndjson') return rows.map((row) => `${JSON.stringify(historyMessage(sessionId, row))}\n`).join('');
  return stringify(
    rows.map((row) => {
      const m = historyMessage(sessionId, row);
      return [m.seq, m.id ?? '', m.at, m.body];
    }),
    CSV_OPTIONS,
  );
}

/**
 * The whole history up to `lastSeq` (the last seq at the time of the
 * request), read in chunks only as fast as the client downloads: constant
 * memory however long, and a turn of the event loop before each chunk.
 */
function historyStream(log: Pick<MessageLog, 'after'>, sessionPk: number, sessionId: string, lastSeq: number, format: ExportFormat): Readable {
  let cursor = 0;
  return new Readable({
    construct(done) {
      if (format === 'csv') this.push(stringify([['seq', 'id', 'at', 'body']], CSV_OPTIONS));
      done();
    },
    async read() {
      try {
        await nextTurn(); // a stream pulls again at once when the client keeps up: let I/O (echoes) in between chunks
        const rows = cursor < lastSeq ? (await log.after(sessionPk, cursor, EXPORT_CHUNK)).filter((r) => r.seq <= lastSeq) : [];
        if (rows.length === 0) {
          this.push(null);
          return;
        }
        cursor = rows[rows.length - 1]!.seq;
        this.push(formatRows(format, sessionId, rows));
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}

export interface ExportRoutesDeps {
  sessions: Pick<SessionService, 'authorise'>;
  messages: Pick<MessageLog, 'lastSeq' | 'after'>;
}

export function exportRoutes({ sessions, messages }: ExportRoutesDeps): Router {
  const router = new Router(ROUTER_OPTIONS);

  router.get('/api/sessions/:id/export', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    const { format } = parseQuery(exportQuerySchema, ctx.query, 'format: ndjson or csv');
    ctx.set('Content-Disposition', `attachment; filename="${session.id}-history.${format}"`);
    ctx.type = format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8';
    ctx.body = historyStream(messages, session.pk, session.id, await messages.lastSeq(session.pk), format);
  });

  return router;
}
