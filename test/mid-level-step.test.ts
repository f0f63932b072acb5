import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoundaryCatalog, CatalogEntry } from '../src/boundaries/catalog';
import { midLevelStepPays } from '../src/geocode/geocoder';
import { InteriorGridBuilder } from '../src/geocode/interior-grid';

/** A catalog of polygons 1–3 at level 3 (the deepest) and 10 at level 2: what the step asks of one. */
const levels: Record<number, number> = { 1: 3, 2: 3, 3: 3, 10: 2 };
const catalog = {
  levelsDeepestFirst: [3, 2, 1],
  get: (id: number): Partial<CatalogEntry> | undefined => (levels[id] ? { id, level: levels[id] } : undefined),
} as unknown as BoundaryCatalog;

function gridLabelling(ids: number[]) {
  const builder = new InteriorGridBuilder();
  ids.forEach((id, k) => builder.addCovered(11, 100 + k, 200, id));
  return builder.finish();
}

test("step 3 runs only for a set whose grid labels cells with a shallower level's polygon", () => {
  // KOSTAT-like: every labelled cell is a deepest polygon's (읍면동 tile the 시군구).
  assert.equal(midLevelStepPays(catalog, gridLabelling([1, 2, 2, 3])), false);
  // TL_SCCO-like: a 동 without 리 decides cells of its own.
  assert.equal(midLevelStepPays(catalog, gridLabelling([1, 10, 2])), true);
  // No grid yet (or none at all): the step runs, as before there was a grid.
  assert.equal(midLevelStepPays(catalog, null), true);
});
