import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import { z } from 'zod';
import type { MessageLog } from '../../store/message-log.js';
import type { SessionRepo } from '../../store/session-repo.js';
import { parseQuery } from '../query.js';
import { historyMessage, requireAuthorizedSession } from '../session-view.js';

const HISTORY_PAGE_DEFAULT = 50;
const HISTORY_PAGE_MAX = 500;
const SEQ_LIMIT = 2 ** 32;

const pageQuerySchema = z.object({
  before: z.coerce.number().int().min(1).max(SEQ_LIMIT).optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(HISTORY_PAGE_DEFAULT),
});

export interface MessageRoutesDeps {
  sessions: SessionRepo;
  messages: MessageLog;
}

export function messageRoutes({ sessions, messages }: MessageRoutesDeps): Router {
  const router = new Router(ROUTER_OPTIONS);

  // History, newest page first; the next older page is ?before=<first seq of this one>.
  router.get('/api/sessions/:id/messages', (ctx) => {
    const session = requireAuthorizedSession(ctx, sessions);
    const { before = SEQ_LIMIT, limit } = parseQuery(pageQuerySchema, ctx.query, `before: a seq >= 1; limit: 1 to ${HISTORY_PAGE_MAX}`);
    const page = messages.page(session.pk, before, limit);
    ctx.body = { messages: page.messages.map((m) => historyMessage(session.id, m)), hasMore: page.hasMore };
  });

  return router;
}
