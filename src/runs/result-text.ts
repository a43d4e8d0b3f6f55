/** How trainings word numbers in their progress display and closing lines. */

/** A value for the progress display and the closing lines: 4 significant digits, '—' when there is none yet. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : Number(v.toPrecision(digits)).toString();
}

/**
 * One closing line per metric of `keys` the run has: its name padded to `width`, its value, and
 * the value on the test split beside it when there is one ("  purity    0.8123   (test 0.8047)").
 */
export function metricLines(
  metrics: Readonly<Record<string, number>>,
  keys: readonly string[],
  width: number,
  format: (v: number, key: string) => string = (v) => fmt(v),
): string[] {
  return keys
    .filter((k) => metrics[k] !== undefined)
    .map((k) => {
      const test = metrics[`test_${k}`];
      return `  ${k.padEnd(width)} ${format(metrics[k], k)}${test === undefined ? '' : `   (test ${format(test, k)})`}`;
    });
}
