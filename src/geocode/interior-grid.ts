/**
 * A quadtree of grid cells that each lie wholly inside one leaf polygon of a set (a polygon of the
 * deepest level, or of a shallower level where no deeper polygon comes near: a 동 in a set whose
 * 리 cover only 읍/면), so that most points of a chunk are matched by arithmetic instead of a
 * point-in-polygon test. See interior-grid-build.ts for how a cell earns its label.
 *
 * Why: the polygon-driven join costs about 2.4 µs a point plus staging and indexing, and that is
 * most of a chunk's time. About four in five of the points people send fall in cells of ~100 m that
 * PostGIS has proved to be covered by a single 읍면동 (ST_Covers on the cell, see
 * interior-grid-build.ts); only the rest (near a border, at sea, outside the grid) go to PostGIS.
 * The answer for a covered cell is exactly PostGIS's answer for any point in it, because the cell's
 * closed box lies in the polygon and no other polygon of the level touches it.
 *
 * The frame is fixed: 8° × 8° from (124°E, 32°N), which holds all of South Korea, halved down to
 * cells of 1/1024° (about 92 m × 111 m). Cell edges are binary fractions of a degree, so the cell
 * of a point is computed exactly in floating point, in JavaScript and in PostGIS alike.
 *
 * Cells far from every polygon are marked too (CLEAR: no polygon of any level within
 * GRID_CLEARANCE_METERS), so points out at sea or abroad get NO_MATCH without a nearest search.
 *
 * Layout: an Int32Array of nodes, four slots each (quadrant = x bit | y bit << 1). A slot holds
 *   0           nothing known here: ask PostGIS;
 *   -1          claimed by more than one polygon (overlapping polygons): ask PostGIS;
 *   -2          CLEAR;
 *   < -2        a child node, at index -slot - 3;
 *   > 0         a boundary id: the whole cell lies in that boundary.
 */

export const GRID_ORIGIN_X = 124;
export const GRID_ORIGIN_Y = 32;
/** Cells at depth z are 2^-z degrees wide; the root (8°) is depth -3. */
export const GRID_ROOT_Z = -3;
export const GRID_MAX_Z = 11;
/** Bumped whenever the frame, the depth or the layout changes, so stored grids are rebuilt. */
export const GRID_FORMAT = 3;
/** A CLEAR cell has no polygon of any level within this distance (so NO_MATCH for requests up to it). */
export const GRID_CLEARANCE_METERS = 200;
/** What lookup returns for a CLEAR cell. */
export const GRID_CLEAR = -2;

const EMPTY = 0;
const CONFLICT = -1;
const CLEAR = GRID_CLEAR;
const isChild = (v: number) => v < CLEAR;
const childOf = (v: number) => -v - 3;
const pointerTo = (node: number) => -node - 3;
const LEVELS = GRID_MAX_Z - GRID_ROOT_Z; // steps from the root to a finest cell
const FINEST_PER_DEGREE = 2 ** GRID_MAX_Z;
const FINEST_SPAN = 2 ** LEVELS; // finest cells across the frame

export class InteriorGrid {
  constructor(readonly slots: Int32Array) {}

  /**
   * The boundary id whose polygon covers the point's cell; GRID_CLEAR when no polygon is within
   * GRID_CLEARANCE_METERS; 0 when PostGIS has to decide.
   */
  lookup(x: number, y: number): number {
    // x - 124 is exact for x in [62, 248] (Sterbenz), and scaling by a power of two is exact.
    const i = Math.floor((x - GRID_ORIGIN_X) * FINEST_PER_DEGREE);
    const j = Math.floor((y - GRID_ORIGIN_Y) * FINEST_PER_DEGREE);
    if (!(i >= 0 && i < FINEST_SPAN && j >= 0 && j < FINEST_SPAN)) return EMPTY; // also NaN
    const slots = this.slots;
    let node = 0;
    for (let bit = LEVELS - 1; bit >= 0; bit--) {
      const v = slots[node * 4 + ((i >> bit) & 1) + (((j >> bit) & 1) << 1)];
      if (!isChild(v)) return v === CONFLICT ? EMPTY : v;
      node = childOf(v);
    }
    return EMPTY; // not reached: a finest slot never points further down
  }

  /** Bytes to store: the slots as Int32 in the platform's byte order (little-endian wherever Node runs). */
  toBuffer(): Buffer {
    return Buffer.from(this.slots.buffer, this.slots.byteOffset, this.slots.byteLength);
  }
}

/**
 * Assembles an InteriorGrid from what PostGIS reports per polygon: its covered cells (any depth)
 * and the finest cells its border crosses. Covered cells should be added larger first (per
 * polygon, in depth order), then the border cells of all polygons; the result is the same for any
 * order, only less precise where polygons overlap.
 */
export class InteriorGridBuilder {
  private slots = new Int32Array(4 * 4096);
  private nodes = 1; // node 0 is the root
  /** Covered cells added so far (as PostGIS reported them, before any merging). */
  cellsAdded = 0;

  /** Cell (z, i, j) lies wholly inside boundary `id` (ST_Covers). */
  addCovered(z: number, i: number, j: number, id: number): void {
    if (!(id > 0)) throw new Error(`Boundary ids must be positive, got ${id}`);
    this.cellsAdded++;
    this.put(z, i, j, id);
  }

  /**
   * A finest cell that a polygon's border crosses. Nothing is stored for it unless another
   * polygon claimed to cover it: then the polygons overlap there and PostGIS must decide.
   */
  addBorder(i: number, j: number): void {
    this.put(GRID_MAX_Z, i, j, CONFLICT);
  }

  /**
   * Cells down to depth maxZ about which nothing is known yet (no polygon of the level covers
   * any part of them), as candidates for CLEAR; `slot` is what markClear takes.
   */
  unknownCells(maxZ: number): { z: number; i: number; j: number; slot: number }[] {
    const out: { z: number; i: number; j: number; slot: number }[] = [];
    const walk = (node: number, z: number, i: number, j: number) => {
      for (let q = 0; q < 4; q++) {
        const slot = node * 4 + q;
        const ci = i * 2 + (q & 1);
        const cj = j * 2 + (q >> 1);
        const v = this.slots[slot];
        if (isChild(v)) walk(childOf(v), z + 1, ci, cj);
        else if (v === EMPTY && z <= maxZ) out.push({ z, i: ci, j: cj, slot });
      }
    };
    walk(0, GRID_ROOT_Z + 1, 0, 0);
    return out;
  }

  markClear(slot: number): void {
    if (this.slots[slot] !== EMPTY) throw new Error(`Only an unknown cell can be marked clear (slot ${slot} holds ${this.slots[slot]})`);
    this.slots[slot] = CLEAR;
  }

  /** Splits an unknown cell into four unknown children; returns their slots (quadrant order). */
  splitUnknown(slot: number): number[] {
    if (this.slots[slot] !== EMPTY) throw new Error(`Only an unknown cell can be split (slot ${slot} holds ${this.slots[slot]})`);
    const child = this.newNode(EMPTY);
    this.slots[slot] = pointerTo(child);
    return [0, 1, 2, 3].map((q) => child * 4 + q);
  }

  finish(): InteriorGrid {
    return new InteriorGrid(this.slots.slice(0, this.nodes * 4));
  }

  private put(z: number, i: number, j: number, value: number): void {
    const depth = z - GRID_ROOT_Z;
    if (depth < 1 || z > GRID_MAX_Z) throw new Error(`Grid depth ${z} is outside ${GRID_ROOT_Z + 1}..${GRID_MAX_Z}`);
    const span = 2 ** depth;
    if (!(i >= 0 && i < span && j >= 0 && j < span)) return; // outside the frame: PostGIS decides
    let node = 0;
    for (let bit = depth - 1; bit >= 0; bit--) {
      const slot = node * 4 + ((i >> bit) & 1) + (((j >> bit) & 1) << 1);
      const v = this.slots[slot];
      if (bit === 0) {
        this.slots[slot] = settle(v, value);
        return;
      }
      if (isChild(v)) {
        node = childOf(v);
        continue;
      }
      if (v === EMPTY && value === CONFLICT) return; // a border where nobody claims: nothing to undo
      if (v === value || v === CONFLICT) return; // already covered by the same claim, or undecided
      // EMPTY: open a node. A larger cell claimed by another polygon: split it, so that only the
      // part both claim becomes undecided and the rest keeps its owner.
      const child = this.newNode(v);
      this.slots[slot] = pointerTo(child);
      node = child;
    }
  }

  private newNode(fill: number): number {
    if ((this.nodes + 1) * 4 > this.slots.length) {
      const grown = new Int32Array(this.slots.length * 2);
      grown.set(this.slots);
      this.slots = grown;
    }
    const node = this.nodes++;
    this.slots.fill(fill, node * 4, node * 4 + 4);
    return node;
  }
}

/** What a slot becomes when `incoming` is claimed for the whole of its cell. */
function settle(existing: number, incoming: number): number {
  if (existing === EMPTY) return incoming === CONFLICT ? EMPTY : incoming;
  if (existing === incoming) return existing;
  // Another polygon's claim, a subtree of claims, or a border crossing the cell: undecided.
  return CONFLICT;
}
