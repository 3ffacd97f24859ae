import { statfsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DomainLogger } from '../../domain/ports.js';

/** Writes refused because the database's file system has less free space than the floor. */
export class LowDiskSpace extends Error {
  override readonly name = 'LowDiskSpace';
  constructor(freeBytes: number, minFreeBytes: number) {
    super(`${freeBytes} bytes free on the database's disk, under the floor of ${minFreeBytes}`);
  }
}

export interface DiskGuardOptions {
  /** The database file; its folder's file system is watched. */
  dbPath: string;
  /** Below this many free bytes (for an unprivileged user), writes are refused; 0: never. */
  minFreeBytes: number;
  /** How often free space is measured, in ms: never per message. */
  intervalMs: number;
  logger: DomainLogger;
}

export type DiskGuard = ReturnType<typeof createDiskGuard>;

/**
 * Refuses writes before the disk is full, rather than when SQLite fails
 * half-way through a commit: free space is read with statfs when created and
 * then on a timer, and `refusal()` (asked once per group commit) answers from
 * the last reading, so the check costs nothing on the write path. Between two
 * readings the writes of one interval can eat into the floor: the floor is
 * that margin.
 */
export function createDiskGuard({ dbPath, minFreeBytes, intervalMs, logger }: DiskGuardOptions) {
  const folder = dirname(resolve(dbPath));
  const enabled = dbPath !== ':memory:' && minFreeBytes > 0;
  let freeBytes = Number.POSITIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  function record(stats: { bavail: number; bsize: number }): void {
    const wasLow = freeBytes < minFreeBytes;
    freeBytes = stats.bavail * stats.bsize;
    const low = freeBytes < minFreeBytes;
    if (low && !wasLow) logger.error({ freeBytes, minFreeBytes }, 'free disk space under MIN_FREE_DISK_BYTES: writes refused');
    if (!low && wasLow) logger.warn({ freeBytes, minFreeBytes }, 'free disk space back over MIN_FREE_DISK_BYTES: writes accepted');
  }

  // Unmeasurable is not a reason to stop writing: SQLite still reports a real full disk.
  const unmeasured = (err: unknown) => logger.warn({ err }, 'free disk space could not be measured');

  /** Measures free space now. */
  async function check(): Promise<void> {
    if (!enabled) return;
    try {
      record(await statfs(folder));
    } catch (err) {
      unmeasured(err);
    }
  }

  // The first reading before the server takes a write.
  try {
    if (enabled) record(statfsSync(folder));
  } catch (err) {
    unmeasured(err);
  }

  return {
    check,
    /** LowDiskSpace while the last reading is under the floor, else null. */
    refusal(): LowDiskSpace | null {
      return freeBytes < minFreeBytes ? new LowDiskSpace(freeBytes, minFreeBytes) : null;
    },
    /** Free bytes at the last reading (Infinity when not measured). */
    get freeBytes(): number {
      return freeBytes;
    },
    start(): void {
      if (!enabled || timer) return;
      timer = setInterval(() => void check(), intervalMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
