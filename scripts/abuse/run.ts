/**
 * `npm run test:abuse`: every abuse case against the built server, twice
 * (once case by case, once all at the same time), then: is it alive, and
 * did its memory stay bounded? Prints a table; exits 1 on any mismatch, on
 * death, or on memory growth over the bound.
 */
import { cases } from './cases.js';
import {
  ABUSE_LIMITS,
  RSS_GROWTH_LIMIT_BYTES,
  aliveCheck,
  assertBuilt,
  rssBytes,
  runCase,
  startAbuseServer,
  type CaseResult,
} from './server.js';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function table(results: CaseResult[]): string {
  const verdict = (r: CaseResult) => (r.deviation ? 'ok (ws deviation*)' : r.ok ? 'ok' : 'FAIL');
  const rows = [['case', 'expected', 'got', 'ok'], ...results.map((r) => [r.name, r.expected, r.got, verdict(r)])];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<number> {
  try {
    assertBuilt();
  } catch (err) {
    console.error(`test:abuse: ${(err as Error).message}`);
    return 2;
  }
  const { server, target } = await startAbuseServer();
  const pid = server.child.pid!;
  const failures: string[] = [];
  try {
    console.log(`abuse run against dist/server/main.js (pid ${pid}), limits ${JSON.stringify(ABUSE_LIMITS)}\n`);
    const before = await aliveCheck(target);
    if (before !== 'alive') failures.push(`before the run: ${before}`);
    const rss0 = rssBytes(pid);

    const first: CaseResult[] = [];
    for (const c of cases) first.push(await runCase(c, target));
    const alive1 = await aliveCheck(target);
    const rss1 = rssBytes(pid);

    // Second run: every case at once.
    const second = await Promise.all(cases.map((c) => runCase(c, target)));
    const alive2 = await aliveCheck(target);
    const rss2 = rssBytes(pid);

    console.log(table(first));
    const deviations = cases.filter((c) => first.some((r) => r.deviation && r.name === c.name));
    for (const c of deviations) console.log(`\n* ${c.name}: ${c.knownDeviation!.why}`);
    const ok1 = first.filter((r) => r.ok).length;
    const ok2 = second.filter((r) => r.ok).length;
    console.log(`\nrun 1 (one case at a time): ${ok1}/${cases.length} as expected; then ${alive1}`);
    console.log(`run 2 (all ${cases.length} cases at once): ${ok2}/${cases.length} as expected; then ${alive2}`);
    for (const [run, results] of [['run 1', first], ['run 2', second]] as const) {
      for (const r of results.filter((x) => !x.ok)) failures.push(`${run}: ${r.name}: expected ${r.expected}, got ${r.got}`);
    }
    if (alive1 !== 'alive') failures.push(`after run 1: ${alive1}`);
    if (alive2 !== 'alive') failures.push(`after run 2: ${alive2}`);

    if (rss0 === null || rss1 === null || rss2 === null) {
      console.warn('memory: /proc/<pid>/status not readable here; memory bound not checked');
    } else {
      const growth = rss2 - rss0;
      console.log(
        `memory (VmRSS): before ${mib(rss0)}, after run 1 ${mib(rss1)}, after run 2 ${mib(rss2)}; ` +
          `growth ${mib(growth)} (bound ${mib(RSS_GROWTH_LIMIT_BYTES)})`,
      );
      if (growth >= RSS_GROWTH_LIMIT_BYTES) failures.push(`memory grew by ${mib(growth)}, over ${mib(RSS_GROWTH_LIMIT_BYTES)}`);
    }
  } finally {
    const exit = await server.stop('SIGTERM');
    if (exit.code !== 0) failures.push(`server exit on SIGTERM: ${exit.code ?? exit.signal}`);
    server.removeData();
  }

  if (failures.length > 0) {
    console.error(`\ntest:abuse FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    // Most cases provoke warnings on purpose; the last ones help tell a case's own refusal from another's.
    console.error(`\nthe server's last warn-or-worse log lines:\n${server.warnings.slice(-40).join('\n')}`);
    return 1;
  }
  console.log('\ntest:abuse passed: every case answered as expected, the server stayed up, its memory stayed bounded');
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`test:abuse: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  },
);
