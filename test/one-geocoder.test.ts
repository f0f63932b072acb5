import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { deepestLevel } from '../src/boundaries/set-service';
import { QUERY_LIMITS } from '../src/schema/query-limits';
import { seededRandom } from '../bench/generate-csv';
import { gql, uploadConversion, waitForConversion } from './helpers/graphql';
import { onPostgres, startTestServer, type TestServer } from './helpers/server';
import { download } from './helpers/xlsx';

/** Points per kind: around 읍면동 vertices (borders between them), around 시도 vertices (mostly coast). */
const POINTS_PER_KIND = 1000;
/** reverseGeocode fields per GraphQL request: as many aliases as a document may have. */
const BATCH = QUERY_LIMITS.maxAliases;

/**
 * reverseGeocode answers what a conversion answers: the same point gets the same code and result
 * whether it comes alone (a chunk of one) or among a file's rows (a chunk of thousands, where the
 * interior grid, the polygon boxes and the polygon-driven join all take part). The points sit
 * where the two could differ: on and near boundary vertices, along coasts, out at sea around the
 * NEAREST distance.
 */
describe(`one geocoder: reverseGeocode and a conversion agree (${onPostgres ? 'PostgreSQL' : 'embedded'})`, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test('points jittered around boundary vertices and coasts: the same code and result for every one', async () => {
    const set = await server.services.boundarySets.resolve();
    assert.ok(server.grids.get(set.id), 'the interior grid takes part');
    // Every k-th vertex of the deepest level and of the top level, in a stable order.
    const vertices: { x: number; y: number; level: number }[] = await server.db.dataSource.query(
      `SELECT x, y, level FROM (
         SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y, b.level,
                row_number() OVER (PARTITION BY b.level ORDER BY b.id, d.path) AS n,
                count(*) OVER (PARTITION BY b.level) AS total
           FROM boundaries b CROSS JOIN LATERAL ST_DumpPoints(b.geom) d
          WHERE b.set_id = $1 AND b.level IN (1, $2)) v
        WHERE n % greatest(1, total / $3) = 0
        ORDER BY level, n`,
      [set.id, deepestLevel(set), POINTS_PER_KIND],
    );
    assert.ok(vertices.length >= 1.5 * POINTS_PER_KIND, `${vertices.length} vertices`);

    // Exactly on the vertex, within centimetres, metres, or a few hundred metres of it (beyond
    // the default 200 m NEAREST distance at sea).
    const random = seededRandom(10);
    const reach = [0, 0.05, 20, 450];
    const points = vertices.map(({ x, y }, i) => {
      const metres = reach[i % reach.length] * random();
      const angle = 2 * Math.PI * random();
      return [x + (metres * Math.cos(angle)) / (111_320 * Math.cos((y * Math.PI) / 180)), y + (metres * Math.sin(angle)) / 110_540];
    });

    const converted = await convert(points);
    const single = await reverseGeocodeAll(points);
    const differing = points
      .map((p, i) => ({ p, conversion: converted[i], reverseGeocode: single[i] }))
      .filter((d) => d.conversion.code !== d.reverseGeocode.code || d.conversion.result !== d.reverseGeocode.result);
    assert.deepEqual(differing.slice(0, 10), [], `${differing.length} of ${points.length} points differ`);

    // The points reach every kind of answer.
    const results = new Set(converted.map((r) => r.result));
    for (const r of ['OK', 'NEAREST', 'NO_MATCH']) assert.ok(results.has(r), `some points are ${r}`);
  });

  async function convert(points: number[][]): Promise<{ code: string | null; result: string }[]> {
    const csv = ['lon,lat', ...points.map(([x, y]) => `${x},${y}`)].join('\n');
    const { body } = await uploadConversion(server.graphqlUrl, { name: 'vertices.csv', content: csv }, { srid: 4326, outputFormat: 'CSV', outputLanguage: 'EN' });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const done = await waitForConversion(server.graphqlUrl, body.data!.createConversion.id, 120_000);
    assert.equal(done.status, 'COMPLETED', done.error);
    const rows: string[][] = parse((await download(done.downloadUrl)).bytes, { bom: true });
    const [header, ...data] = rows;
    assert.equal(data.length, points.length);
    const code = header.indexOf('코드');
    const result = header.indexOf('결과');
    return data.map((r) => ({ code: r[code] || null, result: r[result] }));
  }

  async function reverseGeocodeAll(points: number[][]): Promise<{ code: string | null; result: string }[]> {
    const answers: { code: string | null; result: string }[] = [];
    for (let from = 0; from < points.length; from += BATCH) {
      const batch = points.slice(from, from + BATCH);
      const fields = batch.map(([x, y], k) => `p${k}: reverseGeocode(x: ${x}, y: ${y}) { code result }`);
      const res = await gql(server.graphqlUrl, `{ ${fields.join('\n')} }`);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      batch.forEach((_, k) => answers.push(res.data![`p${k}`]));
    }
    return answers;
  }
});
