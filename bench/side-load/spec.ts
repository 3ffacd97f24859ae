/** What the bench asks of a side-load process, and what it reports back (over the fork's IPC channel). */

export const SIDE_LOAD_KINDS = ['none', 'search', 'export', 'retention', 'backup', 'metrics'] as const;
export type SideLoadKind = (typeof SIDE_LOAD_KINDS)[number];

export interface SideLoadSession {
  id: string;
  token: string;
  /** Messages the session holds, where the load checks a count against it. */
  messages?: number;
}

export interface SideLoadSpec {
  kind: SideLoadKind;
  httpPort: number;
  /** The sessions the load acts on (see each load in loads.ts). */
  sessions: SideLoadSession[];
  /** Clients running the load at once (HTTP connections). */
  clients: number;
  /** backup: `node <cli> <destination> --force --db-path <dbPath>`, as `npm run backup` runs it. */
  backup?: { cli: string; dbPath: string; destination: string };
}

export interface SideLoadReport {
  kind: SideLoadKind;
  /** From the load's start to its stop. */
  seconds: number;
  /** Operations that did what they must (a search answered, an export complete, a backup verified ...). */
  completed: number;
  /** Answers by HTTP status, with the error code of a JSON error (e.g. "503 search_timeout"). */
  statuses: Record<string, number>;
  /** Durations of the completed operations, ms (null when none completed). */
  durationMs: { p50: number; p99: number; max: number } | null;
  /** Figures particular to the load (bytes exported, rows deleted ...). */
  detail: Record<string, number>;
  /** What went wrong: failed requests, wrong answers (the first 20). */
  errors: string[];
}

export type ToChild = { type: 'start'; spec: SideLoadSpec } | { type: 'stop' };
export type FromChild = { type: 'ready' } | { type: 'report'; report: SideLoadReport };
