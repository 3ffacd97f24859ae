/** Printing: aligned tables, target lines; the JSON report's target entries. */

export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
}

export interface TargetResult {
  name: string;
  /** What is compared, e.g. "(a)/(b) msgs/s, median of per-repetition ratios". */
  description: string;
  figure: number;
  limit: number;
  comparison: '>=' | '<=';
  unit: string;
  met: boolean;
}

export function target(
  name: string,
  description: string,
  figure: number,
  comparison: '>=' | '<=',
  limit: number,
  unit = '',
): TargetResult {
  const met = Number.isFinite(figure) && (comparison === '>=' ? figure >= limit : figure <= limit);
  return { name, description, figure, limit, comparison, unit, met };
}

export function targetLine(t: TargetResult): string {
  const unit = t.unit ? ` ${t.unit}` : '';
  return `${t.met ? 'MET   ' : 'MISSED'}  ${t.name}: ${fmt(t.figure)}${unit} (target ${t.comparison} ${fmt(t.limit)}${unit}) — ${t.description}`;
}

/** `n` and the noun, plural unless n is 1 ("1 repetition", "3 repetitions"). */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function heading(text: string): void {
  console.log(`\n== ${text} ==`);
}

/** A progress line for a person watching a long run. */
export function progress(text: string): void {
  console.log(`   ${new Date().toISOString().slice(11, 19)} ${text}`);
}
