import Router from '@koa/router';
import { ROUTER_OPTIONS } from '../router-options.js';
import type { SessionInfo } from '../../../protocol/wire.js';
import { badRequest } from '../../domain/errors.js';
import type { RetentionLimits, SessionRecord } from '../../domain/model.js';
import type { MessageLog } from '../../domain/ports.js';
import { effectiveLimits, type DeploymentRetention } from '../../domain/retention-policy.js';
import type { SessionService } from '../../domain/session-service.js';
import { readJsonBody } from '../json-body.js';
import { DAY_MS, settingsSchema } from '../schemas.js';
import { requireAuthorizedSession } from '../session-view.js';

export interface SessionSettingsDeps {
  sessions: Pick<SessionService, 'authorise' | 'setRetention'>;
  messages: Pick<MessageLog, 'lastSeq'>;
  maxBodyBytes: number;
  /** The deployment's retention (0: none); a session can only tighten it. */
  retentionDefaults: DeploymentRetention;
}

const toDays = (ms: number | null) => (ms ? ms / DAY_MS : null);

export function sessionSettingsRoutes({ sessions, messages, maxBodyBytes, retentionDefaults }: SessionSettingsDeps): Router {
  const router = new Router(ROUTER_OPTIONS);

  const view = async (session: SessionRecord): Promise<SessionInfo> => {
    const effective = effectiveLimits(retentionDefaults, session.retention);
    return {
      id: session.id,
      createdAt: new Date(session.createdAt).toISOString(),
      lastSeq: await messages.lastSeq(session.pk),
      retention: { maxAgeDays: toDays(session.retention.maxAgeMs), maxMessages: session.retention.maxMessages },
      effectiveRetention: { maxAgeDays: toDays(effective.maxAgeMs), maxMessages: effective.maxMessages || null },
    };
  };

  router.get('/api/sessions/:id', async (ctx) => {
    ctx.body = await view(await requireAuthorizedSession(ctx, sessions));
  });

  // Per-session retention: tighter than the deployment's, never looser.
  router.patch('/api/sessions/:id', async (ctx) => {
    const session = await requireAuthorizedSession(ctx, sessions);
    const parsed = settingsSchema.safeParse(await readJsonBody(ctx, maxBodyBytes));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw badRequest('invalid_body', `${issue.path.join('.') || 'body'}: ${issue.message} (expected {"retention":{"maxAgeDays":n|null,"maxMessages":n|null}})`);
    }
    const { maxAgeDays, maxMessages } = parsed.data.retention;
    const next: RetentionLimits = {
      maxAgeMs: maxAgeDays === undefined ? session.retention.maxAgeMs : maxAgeDays === null ? null : Math.round(maxAgeDays * DAY_MS),
      maxMessages: maxMessages === undefined ? session.retention.maxMessages : maxMessages,
    };
    ctx.body = await view(await sessions.setRetention(session, next));
  });

  return router;
}
