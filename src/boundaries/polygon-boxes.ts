/**
 * The bounding boxes of one level's polygons, bucketed by a coarse grid, to tell which polygons
 * can contain any of a chunk's pending points: only a polygon whose box holds a point can contain
 * it. The polygon-driven join of c2r_geocode_points costs a GiST probe per polygon whatever the
 * number of points (about a third of its time); a chunk's few thousand points near borders lie in
 * the boxes of only about half of the 3,504 읍면동, so the others are left out of the loop.
 *
 * The boxes are PostGIS's (ST_XMin … of the stored geometry; where PostGIS answers from its
 * float4 bounding box, that box is rounded outwards), so they never leave out a polygon that
 * contains a point; comparisons are inclusive for points on a box's edge.
 */
export class PolygonBoxes {
  private readonly buckets = new Map<number, number[]>();

  constructor(
    private readonly ids: Int32Array,
    private readonly xmin: Float64Array,
    private readonly ymin: Float64Array,
    private readonly xmax: Float64Array,
    private readonly ymax: Float64Array,
  ) {
    for (let k = 0; k < ids.length; k++) {
      for (let i = cell(xmin[k]); i <= cell(xmax[k]); i++) {
        for (let j = cell(ymin[k]); j <= cell(ymax[k]); j++) {
          const key = bucketKey(i, j);
          const bucket = this.buckets.get(key);
          if (bucket) bucket.push(k);
          else this.buckets.set(key, [k]);
        }
      }
    }
  }

  static fromRows(rows: { id: number; xmin: number; ymin: number; xmax: number; ymax: number }[]): PolygonBoxes {
    return new PolygonBoxes(
      Int32Array.from(rows, (r) => r.id),
      Float64Array.from(rows, (r) => r.xmin),
      Float64Array.from(rows, (r) => r.ymin),
      Float64Array.from(rows, (r) => r.xmax),
      Float64Array.from(rows, (r) => r.ymax),
    );
  }

  get size(): number {
    return this.ids.length;
  }

  /**
   * Ids (ascending) of the polygons whose box holds at least one of the points (xs[k], ys[k]), or
   * comes within `margin` degrees of one.
   */
  holdingAny(xs: Float64Array, ys: Float64Array, margin = 0): number[] {
    const hit = new Uint8Array(this.ids.length);
    for (let p = 0; p < xs.length; p++) {
      const x = xs[p];
      const y = ys[p];
      for (let i = cell(x - margin); i <= cell(x + margin); i++) {
        for (let j = cell(y - margin); j <= cell(y + margin); j++) {
          const bucket = this.buckets.get(bucketKey(i, j));
          if (!bucket) continue;
          for (const k of bucket) {
            if (!hit[k] && x >= this.xmin[k] - margin && x <= this.xmax[k] + margin && y >= this.ymin[k] - margin && y <= this.ymax[k] + margin) hit[k] = 1;
          }
        }
      }
    }
    const out: number[] = [];
    for (let k = 0; k < hit.length; k++) if (hit[k]) out.push(this.ids[k]);
    return out.sort((a, b) => a - b);
  }
}

/** Buckets are 1/16° across (about 7 km): a city bucket holds a few dozen 읍면동 boxes. */
const BUCKETS_PER_DEGREE = 16;
const cell = (v: number) => Math.floor(v * BUCKETS_PER_DEGREE);
/** Cells of longitude and latitude within ±180° and ±90° fit in one safe integer key. */
const bucketKey = (i: number, j: number) => (i + 4096) * 8192 + (j + 4096);
