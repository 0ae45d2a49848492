/**
 * Reads what `kubectl get` prints. kubectl aligns columns with a tabwriter (at least three spaces
 * between columns, single spaces inside a header such as `NOMINATED NODE`), so each column starts
 * where its header starts; slicing rows at those offsets keeps empty cells (a blank `-L` value)
 * in place, which splitting on whitespace would lose.
 */
export interface PrintedTable {
  readonly header: string[];
  /** One record per row, keyed by header text; cells trimmed. */
  readonly rows: Record<string, string>[];
}

/** Parses one aligned table (the first block of `text`, up to a blank line). */
export function parseTable(text: string): PrintedTable {
  const lines = text.split('\n');
  const end = lines.findIndex((l) => l.trim() === '');
  const block = end === -1 ? lines : lines.slice(0, end);
  const [headerLine, ...rowLines] = block;
  if (headerLine === undefined) return { header: [], rows: [] };
  const starts: number[] = [];
  const header: string[] = [];
  for (const m of headerLine.matchAll(/\S+(?: \S+)*/g)) {
    starts.push(m.index);
    header.push(m[0]);
  }
  const rows = rowLines.map((line) => {
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      row[name] = line.slice(starts[i], starts[i + 1] ?? line.length).trim();
    });
    return row;
  });
  return { header, rows };
}

/** Every table in `text` (`kubectl get all`, `get deploy,rs` print one per kind, blank-line separated). */
export function parseTables(text: string): PrintedTable[] {
  return text
    .split(/\n\s*\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => parseTable(block));
}

/** The chosen columns of each row, in row order: compact to compare with `t.same`. */
export function cells(table: PrintedTable, columns: readonly string[]): string[][] {
  return table.rows.map((row) => columns.map((c) => row[c] ?? '<missing column>'));
}
