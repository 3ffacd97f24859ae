import type Koa from 'koa';
import { AppError } from '../domain/errors.js';
import { toAppError } from '../errors.js';

/**
 * First middleware: every error (and every unmatched route) becomes
 * `{"error":{"code","message"}}`; 5xx are reported on app 'error' for logging.
 */
export function errorMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw new AppError(404, 'not_found', `no resource at ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const appError = toAppError(err);
      ctx.status = appError.status;
      ctx.set(appError.headers);
      ctx.body = { error: { code: appError.code, message: appError.message } };
      if (appError.status >= 500) ctx.app.emit('error', err, ctx);
    }
  };
}
