import { statSync } from 'node:fs';
import type { StoreHealth } from '../../domain/ports.js';
import type { Db } from './database.js';
import type { DiskGuard } from './disk-guard.js';

/** Probes and sizes of one open database; `disk` watches the free space of its folder. */
export function createHealth(db: Db, disk: DiskGuard): StoreHealth {
  const ping = db.prepare('SELECT 1').pluck();
  const touchHealth = db.prepare<[number]>('UPDATE health SET checked_at = ? WHERE id = 1');
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const pageSize = db.pragma('page_size', { simple: true }) as number;

  return {
    async isHealthy() {
      try {
        return ping.get() === 1;
      } catch {
        return false;
      }
    },

    async isWritable() {
      if (disk.refusal() !== null) return false;
      try {
        touchHealth.run(Date.now());
        return true;
      } catch {
        return false;
      }
    },

    /** The database file's pages plus its write-ahead log. */
    async sizeBytes() {
      const wal = db.memory ? 0 : (statSync(`${db.name}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      return (pageCount.get() as number) * pageSize + wal;
    },

    diskFreeBytes() {
      return Number.isFinite(disk.freeBytes) ? disk.freeBytes : null;
    },
  };
}
