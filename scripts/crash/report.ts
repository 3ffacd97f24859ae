import type { Check } from './verify.js';

export interface CrashReport {
  ok: boolean;
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  resent: number;
  /** Original echoes the server returned for resent ids it had already stored. */
  dedupedResends: number;
  /** Error frames received (storage faults are allowed; they are resent). */
  errorFrames: number;
  kills: number;
  restarts: number;
  connections: number;
  durationMs: number;
  seed: number;
  integrity: string;
  /** How the final SIGTERM ended the server. */
  finalExit: { code: number | null; signal: string | null } | null;
  checks: Check[];
  /** Why the run failed: failed checks and errors. */
  failures: string[];
  /** The database folder, when it was kept. */
  dataDir: string | null;
}

export function formatReport(report: CrashReport): string {
  const lines = [
    `crash test ${report.ok ? 'PASSED' : 'FAILED'} (seed ${report.seed})`,
    `  sent ${report.sent}  acknowledged ${report.acknowledged}  stored ${report.stored}  lost ${report.lost}  duplicated ${report.duplicated}`,
    `  kills ${report.kills}  restarts ${report.restarts}  connections ${report.connections}  resent ${report.resent} (deduped ${report.dedupedResends})  error frames ${report.errorFrames}  duration ${(report.durationMs / 1000).toFixed(1)} s`,
    `  integrity ${report.integrity}  final exit ${report.finalExit ? (report.finalExit.code ?? report.finalExit.signal) : 'n/a'}`,
    ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    ...report.failures.map((f) => `  failure: ${f}`),
  ];
  if (report.dataDir) lines.push(`  database kept in ${report.dataDir}`);
  return lines.join('\n');
}
