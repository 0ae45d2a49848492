/** Console output of the launcher commands: aligned columns, paths users copy, nothing else. */

/** Where a command writes: the console, or a test's buffers. */
export interface Console {
  out(text: string): void;
  err(text: string): void;
}

export const processConsole: Console = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/** Pads each column to its widest cell; the last column is left as is. */
export function alignColumns(rows: readonly (readonly string[])[], indent = '  ', gap = '   '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join(gap)
        .trimEnd(),
  );
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Quotes a path for a shell line only when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `--dir` flag to repeat in a hint, empty for the default directory. */
export function dirFlag(dirGiven: string, isDefault: boolean): string {
  return isDefault ? '' : ` --dir ${shellQuote(dirGiven)}`;
}
