/**
 * Collapse: a map or clustering whose rows crowd into very few units. Purity, NMI and accuracy of
 * such a result describe the collapse, not the data (a map with every row in one cell has NMI 0
 * whatever the classes), so runs flag it instead of reporting it as a success.
 */

export interface Occupancy {
  /** Units that win at least one row. */
  occupied: number;
  /** Rows in the fullest unit. */
  largest: number;
  /** largest / rows. */
  largestShare: number;
}

/** How `assignments` (a unit index per row) fill `units` units. */
export function occupancy(assignments: ArrayLike<number>, units: number): Occupancy {
  const fn = 'occupancy';
  if (!Number.isInteger(units) || units < 1) throw new RangeError(`${fn}: expected a positive number of units, got ${units}`);
  const hits = new Int32Array(units);
  for (let i = 0; i < assignments.length; i++) {
    const u = assignments[i];
    if (!Number.isInteger(u) || u < 0 || u >= units) throw new RangeError(`${fn}: assignment ${u} at row ${i} is outside 0..${units - 1}`);
    hits[u]++;
  }
  let occupied = 0;
  let largest = 0;
  for (const h of hits) {
    if (h > 0) occupied++;
    if (h > largest) largest = h;
  }
  return { occupied, largest, largestShare: assignments.length === 0 ? 0 : largest / assignments.length };
}

/**
 * A sentence describing the collapse when there is one, else null. Collapsed: every row in one
 * unit of several, or — with 4 units or more, where an even split gives each at most a quarter —
 * half the rows or more in one unit.
 */
export function describeCollapse(assignments: ArrayLike<number>, units: number, unitName = 'cells'): string | null {
  const o = occupancy(assignments, units);
  const rows = assignments.length;
  if (rows < 2 || units < 2) return null;
  const collapsed = o.occupied === 1 || (units >= 4 && o.largestShare >= 0.5);
  if (!collapsed) return null;
  return `degenerate result: ${(100 * o.largestShare).toFixed(1)}% of the ${rows} rows are in one of ${units} ${unitName} (${o.occupied} ${o.occupied === 1 ? unitName.replace(/s$/, '') : unitName} used); purity, NMI and accuracy describe the collapse, not the data`;
}
