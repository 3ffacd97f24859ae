import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type { MessageSearch } from '../../domain/ports.js';
import { searchResult } from '../../domain/presenter.js';
import type { SessionService } from '../../domain/session-service.js';
import { parseQuery } from '../query.js';
import { SEARCH_PAGE_MAX, searchQuerySchema } from '../schemas.js';
import { requireAuthorizedSession } from '../session-view.js';

export function searchRoutes({ sessions, search }: { sessions: Pick<SessionService, 'authorise'>; search: MessageSearch }): Router {
  const router = new Router(ROUTER_OPTIONS);

  // Full-text search in one session's history: best matches first, paged by offset.
  router.get('/api/sessions/:id/search', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    const { q, limit, offset } = parseQuery(searchQuerySchema, ctx.query, `q: 1 to 200 characters; limit: 1 to ${SEARCH_PAGE_MAX}; offset: 0 to 10000`);
    const { hits, hasMore } = await search.search(session.pk, q, limit, offset);
    ctx.body = { results: hits.map((hit) => searchResult(session.id, hit)), hasMore };
  });

  return router;
}
