import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GRID_CLEAR, GRID_MAX_Z, GRID_ORIGIN_X, GRID_ORIGIN_Y, InteriorGrid, InteriorGridBuilder } from '../src/geocode/interior-grid';

/** The south-west corner of cell (z, i, j), in degrees. */
const corner = (z: number, i: number, j: number): [number, number] => [GRID_ORIGIN_X + i / 2 ** z, GRID_ORIGIN_Y + j / 2 ** z];
const FINEST = 1 / 2 ** GRID_MAX_Z;

describe('interior grid (quadtree of cells inside one polygon)', () => {
  test('a covered cell answers for every point in it, edges included, and for nothing outside it', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(8, 300, 700, 42);
    const g = b.finish();
    const [x0, y0] = corner(8, 300, 700);
    const size = 1 / 256;
    assert.equal(g.lookup(x0, y0), 42, 'south-west corner belongs to the cell');
    assert.equal(g.lookup(x0 + size / 2, y0 + size / 2), 42);
    assert.equal(g.lookup(x0 + size - 1e-12, y0 + size - 1e-12), 42);
    assert.equal(g.lookup(x0 + size, y0), 0, 'the east edge starts the next cell');
    assert.equal(g.lookup(x0 - 1e-12, y0), 0);
    assert.equal(g.lookup(x0, y0 - 1e-12), 0);
  });

  test('outside the frame, or not a number: PostGIS decides', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(0, 0, 0, 7); // the whole 1° cell at the frame's corner
    const g = b.finish();
    assert.equal(g.lookup(GRID_ORIGIN_X + 0.5, GRID_ORIGIN_Y + 0.5), 7);
    assert.equal(g.lookup(GRID_ORIGIN_X - 0.5, GRID_ORIGIN_Y + 0.5), 0);
    assert.equal(g.lookup(GRID_ORIGIN_X + 8.5, GRID_ORIGIN_Y + 0.5), 0);
    assert.equal(g.lookup(Number.NaN, GRID_ORIGIN_Y + 0.5), 0);
    b.addCovered(3, -1, 0, 9); // outside the frame: ignored, not a crash
  });

  test('where two polygons claim the same ground (they overlap), only that part is left to PostGIS', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(6, 10, 10, 1); // large cell of polygon 1
    b.addCovered(8, 41, 42, 2); // a smaller cell inside it, claimed by polygon 2
    const g = b.finish();
    const inside = (z: number, i: number, j: number) => {
      const [x, y] = corner(z, i, j);
      return g.lookup(x + FINEST / 2, y + FINEST / 2);
    };
    assert.equal(inside(8, 41, 42), 0, 'the overlap');
    assert.equal(inside(8, 40, 40), 1, 'the rest of the large cell keeps its polygon');
    assert.equal(inside(8, 43, 43), 1);
  });

  test('a border cell of another polygon inside a covered cell undoes just that finest cell', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(7, 20, 20, 5);
    const fi = 20 * 2 ** (GRID_MAX_Z - 7) + 3;
    const fj = 20 * 2 ** (GRID_MAX_Z - 7) + 4;
    b.addBorder(fi, fj);
    b.addBorder(0, 0); // a border where nobody claims anything: no effect
    const g = b.finish();
    const [x, y] = corner(GRID_MAX_Z, fi, fj);
    assert.equal(g.lookup(x + FINEST / 2, y + FINEST / 2), 0);
    assert.equal(g.lookup(x + FINEST * 1.5, y + FINEST / 2), 5, 'the neighbouring finest cell');
    assert.equal(g.lookup(x - FINEST / 2, y + FINEST / 2), 5);
  });

  test('the same polygon claiming a cell twice keeps it', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(6, 3, 3, 11);
    b.addCovered(9, 24, 24, 11);
    const [x, y] = corner(9, 24, 24);
    assert.equal(b.finish().lookup(x, y), 11);
  });

  test('unknown cells can be split and marked CLEAR; covered cells are never offered', () => {
    const b = new InteriorGridBuilder();
    b.addCovered(0, 1, 1, 3);
    const unknown = b.unknownCells(0);
    assert.ok(unknown.length > 0);
    assert.ok(!unknown.some((c) => c.z === 0 && c.i === 1 && c.j === 1), 'the covered cell is not unknown');
    // Nothing was ever put under the 2° cell (z -1, i 1, j 0), so it is offered whole; its
    // north-west quarter is the 1° cell (0, 2, 1).
    const target = unknown.find((c) => c.z === -1 && c.i === 1 && c.j === 0)!;
    assert.ok(target, 'the untouched 2° cell is offered');
    const quarters = b.splitUnknown(target.slot);
    b.markClear(quarters[2]);
    const g = b.finish();
    assert.equal(g.lookup(GRID_ORIGIN_X + 2.5, GRID_ORIGIN_Y + 1.5), GRID_CLEAR);
    assert.equal(g.lookup(GRID_ORIGIN_X + 3.5, GRID_ORIGIN_Y + 1.5), 0, 'the quarter not marked');
    assert.equal(g.lookup(GRID_ORIGIN_X + 1.5, GRID_ORIGIN_Y + 1.5), 3);
    assert.throws(() => b.markClear(quarters[2]), /Only an unknown cell/);
  });

  test('survives a round trip through bytes', () => {
    const b = new InteriorGridBuilder();
    for (let k = 0; k < 500; k++) b.addCovered(GRID_MAX_Z, 1000 + k, 3000 + (k % 7), 100 + k);
    const g = b.finish();
    const copy = new InteriorGrid(new Int32Array(new Uint8Array(g.toBuffer()).buffer));
    for (let k = 0; k < 500; k++) {
      const [x, y] = corner(GRID_MAX_Z, 1000 + k, 3000 + (k % 7));
      assert.equal(copy.lookup(x + FINEST / 2, y + FINEST / 2), 100 + k);
    }
  });
});
