/** What the bench reads about processes and the machine, from /proc and a few tools. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statfsSync } from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK, usually 100). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * User + system CPU time of a process so far, in seconds (NaN when
 * unreadable); with `children`, that of the children it has waited for too.
 */
export function cpuSeconds(pid: number, { children = false } = {}): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name "(...)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / clkTck();
  } catch {
    return NaN;
  }
}

/** Resident set size of a process, in KiB (NaN when unreadable). */
export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !match || match[1] === 'unlimited' ? Infinity : Number(match[1]);
  } catch {
    return 1024;
  }
}

let tasksetPath: string | null | undefined;

/** Path of taskset, or null when it is not installed. */
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    tasksetPath = ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset'].find((p) => existsSync(p)) ?? null;
  }
  return tasksetPath;
}

/**
 * Pins every thread of this process (the load generator) to `core`, so the
 * server under test, pinned to another core, never competes with it.
 */
export function pinSelf(core: number): boolean {
  const bin = taskset();
  if (!bin) return false;
  try {
    execFileSync(bin, ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Free bytes on the file system holding `path`. */
export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

/** Drops the page cache (root only); false when this machine does not allow it. */
export function dropPageCache(): boolean {
  try {
    execFileSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Busy CPU time (user, system, irq, steal) of the line of /proc/stat named `name` ("cpu": all cores), in seconds. */
function busySeconds(name: string): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`${name} `));
    if (!line) return NaN;
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / clkTck();
  } catch {
    return NaN;
  }
}

/** CPU time all processes of the machine have used so far (user, system, irq, steal), in seconds. */
export const machineBusySeconds = (): number => busySeconds('cpu');

/** CPU time core `core` has been busy so far, whoever ran on it, in seconds. */
export const coreBusySeconds = (core: number): number => busySeconds(`cpu${core}`);

/** Other work above this many cores during a measured window makes it noisy. */
export const NOISY_CORES = 0.25;

/**
 * Time a whole run may spend on a busy machine waiting for quiet and
 * measuring again, ms. Past it, every measurement is taken at once and once
 * (its other-CPU figure shows how noisy it was), so a run stays bounded.
 */
let patienceLeftMs = 0;

/** Sets the run's patience (0: never wait nor measure again, as a smoke run checks function, not figures). */
export function setPatience(ms: number): void {
  patienceLeftMs = ms;
}

function spend(ms: number): void {
  const had = patienceLeftMs > 0;
  patienceLeftMs -= ms;
  if (had && patienceLeftMs <= 0) console.log('   NOTE the machine stayed busy and the bench\'s patience is spent: from here on, one measurement each, at once (noisy)');
}

/**
 * Waits (bounded) until the rest of the machine uses less than `maxCores` of
 * CPU over a 500 ms sample: on a shared machine, other workloads would
 * otherwise land inside a measured window. Returns the seconds waited.
 */
export async function waitForQuiet(maxCores = NOISY_CORES, maxWaitMs = 30_000): Promise<number> {
  if (patienceLeftMs <= 0) return 0;
  const started = performance.now();
  let told = false;
  for (;;) {
    const busy0 = machineBusySeconds();
    const own0 = process.cpuUsage();
    await sleep(500);
    const own = process.cpuUsage(own0);
    const other = (machineBusySeconds() - busy0 - (own.user + own.system) / 1e6) / 0.5;
    const waited = performance.now() - started;
    if (!(other >= maxCores) || waited >= Math.min(maxWaitMs, patienceLeftMs)) {
      if (waited > 600) spend(waited);
      if (told) console.log(`   ...${other >= maxCores ? 'still busy, going on' : 'quiet'} after ${Math.round(waited / 1000)} s`);
      return waited / 1000;
    }
    if (!told && waited >= 1000) {
      console.log(`   waiting for other work on this machine to calm down (${other.toFixed(2)} cores busy)...`);
      told = true;
    }
  }
}


/**
 * Runs a measurement after waiting for a quiet machine, and runs it again (up
 * to `attempts` times in all, while patience lasts) while other work took
 * more than NOISY_CORES of CPU during its window; the least noisy attempt is
 * kept.
 */
export async function quietly<T extends { otherCpu: number }>(run: () => Promise<T>, attempts = 3): Promise<T & { attempts: number }> {
  let best: T | undefined;
  const kept = (attempt: number) => {
    noise.windows++;
    if (best!.otherCpu > NOISY_CORES) noise.noisy++;
    return { ...best!, attempts: attempt };
  };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await waitForQuiet(NOISY_CORES);
    const started = performance.now();
    const result = await run();
    if (!best || result.otherCpu < best.otherCpu) best = result;
    if (result.otherCpu <= NOISY_CORES || patienceLeftMs <= 0) return kept(attempt);
    spend(performance.now() - started);
    const again = attempt < attempts && patienceLeftMs > 0;
    console.log(`   noisy window (other work took ${result.otherCpu} cores): ${again ? 'measuring again' : 'keeping the least noisy'}`);
    if (!again) return kept(attempt);
  }
  return kept(attempts);
}

const noise = { windows: 0, noisy: 0 };

/** Measured windows kept by quietly() so far, and how many of them were noisy (other work above NOISY_CORES). */
export function noiseSummary(): { windows: number; noisy: number } {
  return { ...noise };
}
