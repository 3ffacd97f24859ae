import type { RetentionLimits } from './model.js';

/** The deployment's retention (RETENTION_MAX_AGE_DAYS, RETENTION_MAX_MESSAGES); 0 means none. */
export interface DeploymentRetention {
  maxAgeMs: number;
  maxMessages: number;
}

/** What applies to one session; 0 means none. */
export type EffectiveLimits = DeploymentRetention;

/** The stricter of two limits, where 0/null means "no limit". */
function stricter(deployment: number, session: number | null): number {
  if (!session) return deployment;
  return deployment > 0 ? Math.min(deployment, session) : session;
}

/** The deployment's limits tightened by the session's own: a session can tighten them, never loosen them. */
export function effectiveLimits(deployment: DeploymentRetention, own: RetentionLimits): EffectiveLimits {
  return { maxAgeMs: stricter(deployment.maxAgeMs, own.maxAgeMs), maxMessages: stricter(deployment.maxMessages, own.maxMessages) };
}
