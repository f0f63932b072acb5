import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BoundaryCatalog } from '../src/boundaries/catalog';
import { importBoundaryFiles } from '../src/boundaries/import-files';
import { buildBoundaryPieces } from '../src/geocode/boundary-pieces';
import { geocodeChunk, resultAt } from '../src/geocode/chunk-geocoder';
import { dropBoundarySets, openTestDatabase } from './helpers/database';
import { FIXTURES, onPostgres } from './helpers/server';

const FILE = path.join(FIXTURES, 'transform-invalid-5179.geojson');
const SET = 'transform-invalid';
/** Inside 가양1동 (1116064) and 등촌3동 (1116054): PostGIS's ST_PointOnSurface of each. */
const INSIDE: [string, number, number][] = [
  ['1116064', 126.83629583923803, 37.57177003144444],
  ['1116054', 126.84644251615187, 37.561784974909315],
];

/**
 * Two 읍면동 of the TL_SCCO sample that are valid in EPSG:5179 and self-intersect once
 * transformed to EPSG:4326. The import repairs them after the transform, and the pieces the
 * shallower-level and nearest searches use are cut for every polygon, even one stored invalid by
 * an older import (the embedded PostGIS's ST_Subdivide killed its backend on it, and the pieces
 * were silently missing).
 */
describe(`polygons made invalid by the transform (${onPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let setId: number;

  before(async () => {
    db = await openTestDatabase();
    await dropBoundarySets(db, [SET]);
    ({ report: { setId } } = await importBoundaryFiles(db.dataSource, [FILE], { set: SET, levels: [3], codeFields: ['EMD_CD'], nameFields: ['EMD_KOR_NM'] }));
  });
  after(async () => {
    if (!db) return;
    await dropBoundarySets(db, [SET]);
    await db.close();
  });

  const invalidCount = async () =>
    ((await db.dataSource.query(`SELECT count(*)::int AS n FROM boundaries WHERE set_id = $1 AND NOT (ST_IsValidDetail(geom)).valid`, [setId])) as { n: number }[])[0].n;
  const withoutPieces = async () =>
    (
      (await db.dataSource.query(
        `SELECT count(*)::int AS n FROM boundaries b WHERE b.set_id = $1 AND NOT EXISTS (SELECT 1 FROM boundary_pieces p WHERE p.boundary_id = b.id)`,
        [setId],
      )) as { n: number }[]
    )[0].n;

  async function geocodeInside(): Promise<string[]> {
    const catalog = await BoundaryCatalog.load(db.dataSource, setId);
    const input = { xs: Float64Array.from(INSIDE, (p) => p[1]), ys: Float64Array.from(INSIDE, (p) => p[2]), invalidReasons: new Map<number, string>() };
    const chunk = await geocodeChunk(db.dataSource.manager, { setId, srid: 4326, maxDistanceMeters: 0, levelsDeepestFirst: catalog.levelsDeepestFirst, input, grid: null, boxes: null });
    const codes: string[] = [];
    for (let i = 0; i < INSIDE.length; i++) {
      const r = resultAt(chunk, i);
      assert.equal(r.result, 0, `point ${i} is inside a polygon`);
      codes.push(((await db.dataSource.query(`SELECT code FROM boundaries WHERE id = $1`, [r.boundaryId])) as { code: string }[])[0].code);
    }
    return codes;
  }

  test('the import stores both polygons valid, and each point lands in its own', async () => {
    assert.equal(JSON.parse(fs.readFileSync(FILE, 'utf8')).features.length, 2);
    assert.equal(await invalidCount(), 0);
    await buildBoundaryPieces(db.dataSource, setId);
    assert.equal(await withoutPieces(), 0);
    assert.deepEqual(await geocodeInside(), INSIDE.map((p) => p[0]));
  });

  test('a polygon stored invalid (as an older import left it) is still cut into pieces', async () => {
    const features = JSON.parse(fs.readFileSync(FILE, 'utf8')).features as { properties: { EMD_CD: string }; geometry: unknown }[];
    for (const f of features) {
      await db.dataSource.query(
        `UPDATE boundaries SET geom = ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($3), 5179), 4326)) WHERE set_id = $1 AND code = $2`,
        [setId, f.properties.EMD_CD, JSON.stringify(f.geometry)],
      );
    }
    assert.equal(await invalidCount(), 2, 'the transformed polygons self-intersect');
    await db.dataSource.query(`DELETE FROM boundary_pieces WHERE set_id = $1`, [setId]);
    await db.dataSource.query(`DELETE FROM boundary_pieces_built WHERE set_id = $1`, [setId]);
    await buildBoundaryPieces(db.dataSource, setId);
    assert.equal(await withoutPieces(), 0);
    // The database still answers (the embedded backend survived) and right.
    assert.deepEqual(await geocodeInside(), INSIDE.map((p) => p[0]));
  });
});
