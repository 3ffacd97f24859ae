import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import { SEQ_MAX } from '../../../protocol/wire.js';
import type { MessageLog } from '../../domain/ports.js';
import { historyMessage } from '../../domain/presenter.js';
import type { SessionService } from '../../domain/session-service.js';
import { parseQuery } from '../query.js';
import { HISTORY_PAGE_MAX, pageQuerySchema } from '../schemas.js';
import { requireAuthorizedSession } from '../session-view.js';

export interface MessageRoutesDeps {
  sessions: Pick<SessionService, 'authorise'>;
  messages: Pick<MessageLog, 'page'>;
}

export function messageRoutes({ sessions, messages }: MessageRoutesDeps): Router {
  const router = new Router(ROUTER_OPTIONS);

  // History, newest page first; the next older page is ?before=<first seq of this one>.
  router.get('/api/sessions/:id/messages', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    const { before = SEQ_MAX + 1, limit } = parseQuery(pageQuerySchema, ctx.query, `before: a seq >= 1; limit: 1 to ${HISTORY_PAGE_MAX}`);
    const page = await messages.page(session.pk, before, limit);
    ctx.body = { messages: page.messages.map((m) => historyMessage(session.id, m)), hasMore: page.hasMore };
  });

  return router;
}
