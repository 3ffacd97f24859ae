import coBody from 'co-body';
import type Koa from 'koa';
import { AppError } from '../domain/errors.js';

/**
 * The JSON body of a request, or undefined when it has none. Anything but
 * application/json is 415, a body over the limit 413, malformed JSON 400.
 */
export async function readJsonBody(ctx: Koa.Context, limitBytes: number): Promise<unknown> {
  const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
  if (!hasBody) return undefined;
  if (!ctx.is('application/json')) {
    throw new AppError(415, 'unsupported_media_type', 'send the request body as application/json');
  }
  try {
    return await coBody.json(ctx, { limit: limitBytes, strict: true });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      throw new AppError(413, 'payload_too_large', `request body is larger than ${limitBytes} bytes`);
    }
    if (status === 400) throw new AppError(400, 'invalid_json', 'request body is not valid JSON');
    throw err;
  }
}
