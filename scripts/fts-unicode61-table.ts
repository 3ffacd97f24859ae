/**
 * Derives, from the SQLite that better-sqlite3 links, how the search index's
 * FTS5 tokenizer treats every code point, and writes it as
 * server/store/sqlite/fts-unicode61-table.ts for the JavaScript tokenizer that must
 * split words exactly as the index does (fts-unicode61.ts).
 *
 *   npx tsx scripts/fts-unicode61-table.ts     # regenerate after a SQLite upgrade
 *
 * server/test/fts-tokenizer.test.ts derives the table again and fails on any
 * difference, so a better-sqlite3 upgrade that changes SQLite's Unicode data
 * cannot go unnoticed. Nothing here is a hand-written list of characters: each
 * code point is fed to the real tokenizer and its tokens are read back through
 * an fts5vocab table.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../server/store/sqlite/database.js';
import { CharClass } from '../server/store/sqlite/fts-unicode61.js';
import { INDEX_TABLE_SQL } from '../server/store/sqlite/search-index.js';

const MAX_CODE_POINT = 0x10ffff;
/** Code points per probe document: few rows, so FTS5 and fts5vocab do bulk work. */
const CHUNK = 65536;

export interface Unicode61Table {
  sqliteVersion: string;
  /** The index's `tokenize` argument, read from the migrated schema. */
  tokenizer: string;
  /** [first code point, class, first code point, class, ...], ascending, covering 0..U+10FFFF. */
  classRuns: number[];
  /** [first, count, stride, delta, ...]: fold(first + k*stride) = first + k*stride + delta, for k < count. */
  foldRuns: number[];
}

/** The tokenize argument of the search index, as search-index.ts creates it. */
export function indexTokenizer(): string {
  const match = /tokenize\s*=\s*'([^']*)'/.exec(INDEX_TABLE_SQL);
  if (!match) throw new Error(`no tokenize argument in ${INDEX_TABLE_SQL}`);
  return match[1]!;
}

/**
 * An FTS5 table with the index's tokenizer, whose token stream (folded terms
 * in order) is read back through fts5vocab: SQLite's own answer to "what
 * tokens does this text have", for the generator and for tests.
 */
export class TokenizerProbe {
  readonly db: Db;
  readonly tokenizer: string;

  constructor() {
    this.db = openDatabase(':memory:');
    this.tokenizer = indexTokenizer();
    this.create();
  }

  private create(): void {
    this.db.exec(`
      CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = '${this.tokenizer}', detail = full);
      CREATE VIRTUAL TABLE probe_tokens USING fts5vocab(probe, instance);
    `);
  }

  /** The folded terms SQLite's tokenizer makes of `text`, in order. */
  terms(text: string): string[] {
    return this.termsOfDocuments([text])[0]!;
  }

  /** The terms of each document, in order; one bulk insert and one scan. */
  termsOfDocuments(documents: string[]): string[][] {
    const insert = this.db.prepare<[number, string]>('INSERT INTO probe (rowid, x) VALUES (?, ?)');
    this.db.transaction(() => documents.forEach((text, i) => insert.run(i + 1, text)))();
    const terms: string[][] = documents.map(() => []);
    // fts5vocab walks in term order; placing by (doc, offset) avoids a sort of millions of rows.
    const rows = this.db.prepare<[], [string, number, number]>('SELECT term, doc, offset FROM probe_tokens').raw();
    for (const [term, doc, offset] of rows.iterate()) terms[doc - 1]![offset] = term;
    this.db.exec('DELETE FROM probe');
    return terms;
  }

  /** Starts again from an empty table: after a bulk run, its deleted rows would slow every later scan. */
  reset(): void {
    this.db.exec('DROP TABLE probe_tokens; DROP TABLE probe;');
    this.create();
  }

  close(): void {
    this.db.close();
  }
}

/** What a lone surrogate reaches SQLite as: better-sqlite3 encodes strings to UTF-8 with U+FFFD for them. */
const probeChar = (cp: number): string => (cp >= 0xd800 && cp <= 0xdfff ? '\uFFFD' : String.fromCodePoint(cp));

/**
 * Feeds every code point C to the tokenizer as "qCq Cq" and reads its class
 * and fold from the tokens that come back:
 * - separator: "q", "q", "q" (C splits and cannot start a token);
 * - token character: "q" + fold(C) + "q", fold(C) + "q";
 * - diacritic (continues a token, cannot start one): "q" + fold(C) + "q", "q".
 * A token character that folds to nothing would look like a diacritic; the
 * tokenizer port assumes there is none, so that is checked with a third probe.
 */
export function deriveUnicode61Table(probe: TokenizerProbe): Unicode61Table {
  const documents: string[] = [];
  for (let start = 0; start <= MAX_CODE_POINT; start += CHUNK) {
    const parts: string[] = [];
    for (let cp = start; cp < start + CHUNK && cp <= MAX_CODE_POINT; cp++) {
      const c = probeChar(cp);
      parts.push(`q${c}q ${c}q`);
    }
    documents.push(parts.join(' '));
  }
  const classes = new Uint8Array(MAX_CODE_POINT + 1);
  const folds: Array<[number, number]> = [];
  const foldsToNothing: number[] = [];
  let cp = 0;
  for (const terms of probe.termsOfDocuments(documents)) {
    for (let i = 0; i < terms.length; cp++) {
      const first = terms[i]!;
      if (first === 'q') {
        if (terms[i + 1] !== 'q' || terms[i + 2] !== 'q') throw new Error(`U+${hex(cp)}: unexpected tokens`);
        classes[cp] = CharClass.separator;
        i += 3;
        continue;
      }
      const folded = first.slice(1, -1);
      const second = terms[i + 1]!;
      i += 2;
      if (folded === '') {
        // fold(C) is nothing: a diacritic dropped by remove_diacritics, or a token character (checked below).
        classes[cp] = CharClass.diacritic;
        foldsToNothing.push(cp);
        continue;
      }
      const target = folded.codePointAt(0)!;
      if (String.fromCodePoint(target) !== folded) throw new Error(`U+${hex(cp)} folds to more than one code point`);
      if (second === `${folded}q`) classes[cp] = CharClass.token;
      else if (second === 'q') classes[cp] = CharClass.diacritic;
      else throw new Error(`U+${hex(cp)}: unexpected tokens`);
      if (target !== cp) folds.push([cp, target - cp]);
    }
  }
  probe.reset();
  if (cp !== MAX_CODE_POINT + 1) throw new Error(`read ${cp} code points, expected ${MAX_CODE_POINT + 1}`);
  // Alone between separators, a token character that folds to nothing would make an empty token.
  const alone = probe.termsOfDocuments(foldsToNothing.map((c) => `q ${probeChar(c)} q`));
  alone.forEach((terms, i) => {
    if (terms.length !== 2) throw new Error(`U+${hex(foldsToNothing[i]!)} starts a token but folds to nothing`);
  });
  // The port drops what a diacritic folds to; it must be nothing.
  for (const [c] of folds) if (classes[c] === CharClass.diacritic) throw new Error(`diacritic U+${hex(c)} folds to a character`);

  return {
    sqliteVersion: probe.db.prepare('SELECT sqlite_version()').pluck().get() as string,
    tokenizer: probe.tokenizer,
    classRuns: classRuns(classes),
    foldRuns: foldRuns(folds),
  };
}

function classRuns(classes: Uint8Array): number[] {
  const runs: number[] = [];
  classes.forEach((c, cp) => {
    if (cp === 0 || c !== classes[cp - 1]) runs.push(cp, c);
  });
  return runs;
}

/** Case folding moves blocks by a constant, or alternates (upper, lower) pairs: runs with a stride keep it short. */
function foldRuns(folds: Array<[number, number]>): number[] {
  const runs: number[] = [];
  let first = -1;
  let count = 0;
  let stride = 0;
  let delta = 0;
  const flush = () => {
    if (count > 0) runs.push(first, count, stride, delta);
  };
  for (const [cp, d] of folds) {
    const next = first + count * stride;
    if (count > 0 && d === delta && (count === 1 ? cp - first <= 2 : cp === next)) {
      if (count === 1) stride = cp - first;
      count++;
      continue;
    }
    flush();
    [first, count, stride, delta] = [cp, 1, 1, d];
  }
  flush();
  return runs;
}

const hex = (cp: number) => cp.toString(16).toUpperCase().padStart(4, '0');

function render(table: Unicode61Table): string {
  const rows = (values: number[], perRow: number) => {
    const lines: string[] = [];
    for (let i = 0; i < values.length; i += perRow) lines.push(`  ${values.slice(i, i + perRow).join(', ')},`);
    return lines.join('\n');
  };
  return `/**
 * GENERATED by \`npx tsx scripts/fts-unicode61-table.ts\` from SQLite ${table.sqliteVersion}'s FTS5
 * tokenizer \`${table.tokenizer}\` (the search index's): do not edit, regenerate.
 * server/test/fts-tokenizer.test.ts derives it again and fails on any difference.
 */

export const TABLE_SOURCE = { sqliteVersion: '${table.sqliteVersion}', tokenizer: '${table.tokenizer}' };

/** [first code point, class, ...] ascending from U+0000: 0 separator, 1 token character, 2 diacritic. */
export const CLASS_RUNS: readonly number[] = [
${rows(table.classRuns, 16)}
];

/** [first, count, stride, delta, ...]: fold(first + k * stride) = first + k * stride + delta for k < count. */
export const FOLD_RUNS: readonly number[] = [
${rows(table.foldRuns, 16)}
];
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const probe = new TokenizerProbe();
  const table = deriveUnicode61Table(probe);
  probe.close();
  const target = fileURLToPath(new URL('../server/store/sqlite/fts-unicode61-table.ts', import.meta.url));
  writeFileSync(target, render(table));
  console.log(`wrote ${target}: ${table.classRuns.length / 2} class runs, ${table.foldRuns.length / 4} fold runs (SQLite ${table.sqliteVersion})`);
}
