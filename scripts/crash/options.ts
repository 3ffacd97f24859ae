/** Settings of one crash-test run; the CLI flags map onto these. */
export interface CrashOptions {
  kills: number;
  clients: number;
  /** Clients are spread over this many sessions, so a session has several writers. */
  sessions: number;
  /** Unacknowledged messages per client. */
  window: number;
  /** Load between two kills: a random time in [minIntervalMs, maxIntervalMs]. */
  minIntervalMs: number;
  maxIntervalMs: number;
  /** The whole run, start to verification. */
  deadlineMs: number;
  /** Cap on new messages per client (the load is bounded in count too). */
  maxMessagesPerClient: number;
  /** Reconnect attempts after one disconnect. */
  maxConnectAttempts: number;
  /** Seeds the kill timings; 0 picks one (printed, so a run can be repeated). */
  seed: number;
  /** The server's DB_SYNC. */
  dbSync: 'full' | 'normal';
  /** Keep the database folder (it is always kept when the run fails). */
  keepData: boolean;
  /** Progress lines; silent by default. */
  log(line: string): void;
}

export const DEFAULT_OPTIONS: CrashOptions = {
  kills: 5,
  clients: 6,
  sessions: 3,
  window: 20,
  minIntervalMs: 200,
  maxIntervalMs: 800,
  deadlineMs: 60_000,
  maxMessagesPerClient: 200_000,
  maxConnectAttempts: 60,
  seed: 0,
  dbSync: 'full',
  keepData: false,
  log: () => undefined,
};
