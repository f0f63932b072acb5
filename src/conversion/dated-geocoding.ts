import { versionAt, versionName, type BoundarySetService } from '../boundaries/set-service';
import { dayOf } from '../detection/date-column';
import type { BoundaryPlan, StoredConversionOptions } from '../entities/Conversion';
import { emptyChunk, type ChunkInput, type GeocodedChunk } from '../geocode/chunk-geocoder';
import type { Geocoder } from '../geocode/geocoder';
import type { ChunkRows } from '../reading/table-source';

/**
 * The boundary sets of a conversion and how a row picks its version of each: a dated set (several
 * versions) uses the version valid on the row's date (its date column), else on `asOf`, else the
 * newest; an undated set has one version for every row.
 */
export class DatedPlan {
  constructor(
    readonly plan: BoundaryPlan,
    readonly asOf: string | null,
    /** Whether the output has a 경계기준 column: a dated set, and rows dated by a column or by asOf. */
    readonly showsBasis: boolean,
  ) {}

  /** The version (index into the set's versions) each row uses. */
  versionIndexes(set: number, rows: ChunkRows, dateIndex: number | null): Int32Array {
    const { versions } = this.plan.sets[set];
    const out = new Int32Array(rows.length);
    if (versions.length === 1) return out;
    const indexed = versions.map((v, i) => ({ ...v, i }));
    const fallback = versionAt(indexed, this.asOf).i;
    for (let r = 0; r < rows.length; r++) {
      const day = dateIndex === null ? null : dayOf(rows.cell(r, dateIndex));
      out[r] = day === null ? fallback : versionAt(indexed, day).i;
    }
    return out;
  }

  /** The 경계기준 value of each row (`kostat 2013-01-01`, the dated sets' versions), or null without that column. */
  basisOf(rows: ChunkRows, dateIndex: number | null): string[] | null {
    if (!this.showsBasis) return null;
    const dated = this.plan.sets.map((s, g) => ({ s, g })).filter(({ s }) => s.versions.length > 1);
    const chosen = dated.map(({ g }) => this.versionIndexes(g, rows, dateIndex));
    const basis: string[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) basis[r] = dated.map(({ s }, k) => versionName(s.name, s.versions[chosen[k][r]].validFrom)).join(', ');
    return basis;
  }
}

/**
 * Geocodes a chunk against every set of the plan: per set, per version with the rows that use it
 * (the geocoder, its interior grid and polygon boxes work per version id as for a single set; the
 * geocoder prepares a version's grid the first time rows use it). The sets' and versions' passes
 * run at once, each on its own pooled connection, so the database works on one while this process
 * looks the next one's points up in its grid. Returns one chunk per set, each answering every row
 * in input order.
 */
export async function geocodeSets(
  geocoder: Geocoder,
  plan: DatedPlan,
  target: { srid: number; maxDistanceMeters: number },
  input: ChunkInput,
  rows: ChunkRows,
  dateIndex: number | null,
): Promise<GeocodedChunk[]> {
  return Promise.all(
    plan.plan.sets.map(async ({ versions }, g) => {
      const chosen = plan.versionIndexes(g, rows, dateIndex);
      const used = [...new Set(chosen)];
      if (used.length === 1) return geocoder.geocode({ ...target, setId: versions[used[0]].id }, input);
      const merged = emptyChunk(rows.length);
      await Promise.all(
        used.map(async (v) => {
          const index: number[] = [];
          for (let r = 0; r < chosen.length; r++) if (chosen[r] === v) index.push(r);
          const part = await geocoder.geocode({ ...target, setId: versions[v].id }, subsetInput(input, index));
          index.forEach((r, k) => {
            merged.boundaryIds[r] = part.boundaryIds[k];
            merged.results[r] = part.results[k];
            const distance = part.distances.get(k);
            if (distance !== undefined) merged.distances.set(r, distance);
            const reason = part.reasons.get(k);
            if (reason !== undefined) merged.reasons.set(r, reason);
          });
          merged.gridMatches += part.gridMatches;
        }),
      );
      return merged;
    }),
  );
}

/** The rows `index` of a chunk's input, renumbered from 0. */
function subsetInput(input: ChunkInput, index: number[]): ChunkInput {
  const xs = new Float64Array(index.length);
  const ys = new Float64Array(index.length);
  const invalidReasons = new Map<number, string>();
  index.forEach((r, k) => {
    xs[k] = input.xs[r];
    ys[k] = input.ys[r];
    const reason = input.invalidReasons.get(r);
    if (reason !== undefined) invalidReasons.set(k, reason);
  });
  return { xs, ys, invalidReasons };
}

/** The sets the options name (boundarySets, else boundarySet, else the default), with their current versions. */
export async function resolveBoundaryPlan(sets: BoundarySetService, options: Pick<StoredConversionOptions, 'boundarySet' | 'boundarySets'>): Promise<BoundaryPlan> {
  const plan: BoundaryPlan = { sets: [] };
  for (const name of options.boundarySets ?? [options.boundarySet ?? null]) plan.sets.push(await sets.resolveSet(name));
  return plan;
}
