import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Topology } from './topology.js';

function row(t: Topology, k: number): number[] {
  return Array.from(t.distances.subarray(k * t.size, (k + 1) * t.size));
}

function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `entry ${i}: ${v} vs ${expected[i]}`));
}

test('the default map is seed 000’s: 8×8 rectangular, Manhattan, not toroidal', () => {
  const t = new Topology();
  assert.deepEqual(t.spec(), { rows: 8, cols: 8, topology: 'rectangular', toroidal: false, distance: 'manhattan' });
  assert.equal(t.size, 64);
  assert.equal(t.distanceBetween(0, 63), 14);
  assert.equal(t.index(2, 3), 19);
  assert.equal(t.row(19), 2);
  assert.equal(t.col(19), 3);
});

test('3×3 rectangular distances from a corner and from the centre (Manhattan, Chebyshev, Euclidean)', () => {
  // cells: 0 1 2 / 3 4 5 / 6 7 8
  const man = new Topology({ rows: 3, cols: 3 });
  close(row(man, 0), [0, 1, 2, 1, 2, 3, 2, 3, 4]);
  close(row(man, 4), [2, 1, 2, 1, 0, 1, 2, 1, 2]);
  close(row(new Topology({ rows: 3, cols: 3, distance: 'chebyshev' }), 0), [0, 1, 2, 1, 1, 2, 2, 2, 2]);
  const s2 = Math.SQRT2;
  const s5 = Math.sqrt(5);
  close(row(new Topology({ rows: 3, cols: 3, distance: 'euclidean' }), 0), [0, 1, 2, 1, s2, s5, 2, s5, 2 * s2]);
});

test('on a torus the shortest way round counts', () => {
  // 3×3 torus: every other row/column is one step away
  close(row(new Topology({ rows: 3, cols: 3, toroidal: true }), 0), [0, 1, 1, 1, 2, 2, 1, 2, 2]);
  // 4×5 torus, Manhattan from cell 0: column offsets 0 1 2 2 1, row offsets 0 1 2 1
  const t = new Topology({ rows: 4, cols: 5, toroidal: true });
  close(row(t, 0), [0, 1, 2, 2, 1, 1, 2, 3, 3, 2, 2, 3, 4, 4, 3, 1, 2, 3, 3, 2]);
});

test("'desom_reference' is the reference code's flat-index δ: 6 cells at δ = 1 around an interior cell", () => {
  // |i−k| // 3 + |i mod 3 − k mod 3| from cell 4: the anti-diagonal corners 2 and 6 come out at 1
  const t = new Topology({ rows: 3, cols: 3, distance: 'desom_reference' });
  close(row(t, 4), [2, 1, 1, 1, 0, 1, 1, 1, 2]);
  assert.equal(row(t, 4).filter((d) => d === 1).length, 6);
  // corner 0 to corner 8 stays exact Manhattan (both offsets positive)
  assert.equal(t.distanceBetween(0, 8), 4);
  assert.equal(t.distanceBetween(2, 6), 3); // |2−6| // 3 + |2 − 0|; Manhattan gives 4
});

test('hexagonal odd-r layout: grid distances from cell (0,0) of a 4×4 map, and real-centre Euclidean distances', () => {
  // axial q = c − ⌊r/2⌋, s = r; distance (|Δq| + |Δs| + |Δq + Δs|)/2
  const t = new Topology({ rows: 4, cols: 4, topology: 'hexagonal' });
  close(row(t, 0), [0, 1, 2, 3, 1, 2, 3, 4, 2, 2, 3, 4, 3, 3, 4, 5]);
  // Chebyshev is the same grid distance on the hexagonal lattice
  close(row(new Topology({ rows: 4, cols: 4, topology: 'hexagonal', distance: 'chebyshev' }), 0), row(t, 0));
  const e = new Topology({ rows: 4, cols: 4, topology: 'hexagonal', distance: 'euclidean' });
  // centres: (0,0) → (0,0); (1,0) → (0.5, √3/2); (2,0) → (0, √3); (1,1) → (1.5, √3/2)
  assert.ok(Math.abs(e.distanceBetween(0, 4) - 1) < 1e-12);
  assert.ok(Math.abs(e.distanceBetween(0, 8) - Math.sqrt(3)) < 1e-12);
  assert.ok(Math.abs(e.distanceBetween(0, 5) - Math.sqrt(3)) < 1e-12);
  assert.deepEqual(Array.from(e.coords.subarray(8, 12)), [0.5, Math.sqrt(3) / 2, 1.5, Math.sqrt(3) / 2]); // cells 4 and 5
  // all six neighbours of an interior cell are at Euclidean distance 1
  for (const j of e.neighbors(5)) assert.ok(Math.abs(e.distanceBetween(5, j) - 1) < 1e-12);
});

test('adjacency counts: rectangular 4 (edge) or 8 (vertex), hexagonal 6, fewer at borders, all cells full on a torus', () => {
  const r = new Topology({ rows: 5, cols: 5 });
  assert.deepEqual([...r.neighbors(12)], [7, 11, 13, 17]);
  assert.equal(r.neighbors(12, 'vertex').length, 8);
  assert.equal(r.neighbors(0).length, 2);
  assert.equal(r.neighbors(0, 'vertex').length, 3);
  const h = new Topology({ rows: 4, cols: 4, topology: 'hexagonal' });
  assert.deepEqual([...h.neighbors(5)], [1, 2, 4, 6, 9, 10]); // odd row 1: upper/lower at columns 1 and 2
  assert.deepEqual([...h.neighbors(9)], [4, 5, 8, 10, 12, 13]); // even row 2: upper/lower at columns 0 and 1
  assert.deepEqual([...h.neighbors(9, 'vertex')], [...h.neighbors(9)]);
  assert.deepEqual([...h.neighbors(0)], [1, 4]);
  const ht = new Topology({ rows: 4, cols: 4, topology: 'hexagonal', toroidal: true });
  for (let k = 0; k < 16; k++) assert.equal(ht.neighbors(k).length, 6);
  // (0,0), an even row: upper neighbours wrap to row 3 at columns 3 and 0 (cells 15, 12), lower ones
  // are (1,3) and (1,0) (cells 7, 4), left wraps to (0,3) (cell 3)
  assert.deepEqual([...ht.neighbors(0)], [1, 3, 4, 7, 12, 15]);
  const rt = new Topology({ rows: 5, cols: 5, toroidal: true });
  for (let k = 0; k < 25; k++) {
    assert.equal(rt.neighbors(k).length, 4);
    assert.equal(rt.neighbors(k, 'vertex').length, 8);
  }
  assert.ok(rt.adjacent(0, 4) && rt.adjacent(0, 20) && !rt.adjacent(0, 6) && rt.adjacent(0, 24, 'vertex'));
  // a 2-row torus reaches the same cell going up or down: listed once
  assert.deepEqual([...new Topology({ rows: 2, cols: 3, toroidal: true }).neighbors(0)], [1, 2, 3]);
});

test('invalid maps are rejected with the value received', () => {
  assert.throws(() => new Topology({ rows: 0 }), /Topology: expected rows to be a positive integer, got 0/);
  assert.throws(
    () => new Topology({ topology: 'square' as 'rectangular' }),
    /Topology: expected topology to be one of 'rectangular', 'hexagonal', got "square"/,
  );
  assert.throws(() => new Topology({ distance: 'cosine' as 'manhattan' }), /expected distance to be one of/);
  assert.throws(() => new Topology({ rows: 5, topology: 'hexagonal', toroidal: true }), /toroidal hexagonal map needs an even number of rows .* got 5/);
  assert.throws(
    () => new Topology({ topology: 'hexagonal', distance: 'desom_reference' }),
    /'desom_reference' is defined on flat indices of a rectangular, non-toroidal map, got a hexagonal map/,
  );
  assert.throws(() => new Topology().neighbors(64), /Topology.neighbors: expected a cell index in \[0, 64\), got 64/);
  assert.throws(() => new Topology().neighbors(0, 'diagonal' as 'edge'), /expected adjacency to be one of 'edge', 'vertex', got "diagonal"/);
});
