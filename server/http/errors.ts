import type Koa from 'koa';
import { AppError } from '../domain/errors.js';
import { errorBody } from '../../protocol/errors.js';
import { toAppError } from './to-app-error.js';

/**
 * First middleware: every error (and every unmatched route) becomes
 * `{"error":{"code","message"}}`; 5xx are reported on app 'error' for logging.
 */
export function errorMiddleware(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw new AppError('not_found', `no resource at ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const appError = toAppError(err);
      ctx.status = appError.status;
      ctx.set(appError.headers);
      ctx.body = errorBody(appError.code, appError.message);
      if (appError.status >= 500) ctx.app.emit('error', err, ctx);
    }
  };
}
