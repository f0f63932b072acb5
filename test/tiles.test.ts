import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader as Pbf } from 'pbf';
import { TileService } from '../src/tiles/tile-service';
import { startTestServer, type TestServer } from './helpers/server';

/** Every feature of a decoded tile, by layer: its code, name and geometry in lon/lat. */
function decode(bytes: Buffer, z: number, x: number, y: number) {
  const tile = new VectorTile(new Pbf(bytes));
  return Object.fromEntries(
    Object.entries(tile.layers).map(([name, layer]) => [
      name,
      Array.from({ length: layer.length }, (_, i) => {
        const f = layer.feature(i);
        return { code: String(f.properties.code), name: String(f.properties.name), geojson: f.toGeoJSON(x, y, z) };
      }),
    ]),
  );
}

/** Vector tiles of the bundled boundaries over HTTP, decoded by Mapbox's own decoder. */
describe('boundary vector tiles', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { startWorker: false });
  });
  after(() => server?.close());

  test('/tiles/kostat-2018/10/873/396.pbf (over Seoul) has 시도, 시군구 and 읍면동 layers with Seoul codes', async () => {
    const res = await fetch(`${server.url}/tiles/kostat-2018/10/873/396.pbf`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.mapbox-vector-tile');
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    const layers = decode(Buffer.from(await res.arrayBuffer()), 10, 873, 396);
    assert.deepEqual(Object.keys(layers).sort(), ['level1', 'level2', 'level3']);
    assert.ok(layers.level1.some((f) => f.code === '11' && f.name === '서울특별시'), JSON.stringify(layers.level1.map((f) => f.code)));
    assert.ok(layers.level2.some((f) => f.code.startsWith('11')));
    const dongs = layers.level3.filter((f) => f.code.startsWith('11'));
    assert.ok(dongs.length > 10, `${dongs.length} Seoul 읍면동`);
    // Decoded to lon/lat, the polygons lie around the tile (126.91–127.27°E, 37.44–37.72°N).
    const [lon, lat] = (dongs[0].geojson.geometry as { coordinates: number[][][] | number[][][][] }).coordinates.flat(3) as number[];
    assert.ok(lon > 126.5 && lon < 127.6 && lat > 37.2 && lat < 37.9, `${lon}, ${lat}`);

    // The second request is served from the memory cache: the same bytes; a conditional one gets 304.
    const again = await fetch(`${server.url}/tiles/kostat-2018/10/873/396.pbf`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    assert.equal(again.status, 304);
  });

  test('zoomed out, only 시도; unknown sets and tiles are 404', async () => {
    const res = await fetch(`${server.url}/tiles/kostat-2018/5/27/12.pbf`);
    assert.equal(res.status, 200);
    const layers = decode(Buffer.from(await res.arrayBuffer()), 5, 27, 12);
    assert.deepEqual(Object.keys(layers), ['level1']);
    assert.ok(layers.level1.length >= 10, `${layers.level1.length} 시도`);
    assert.equal((await fetch(`${server.url}/tiles/no-such-set/10/873/396.pbf`)).status, 404);
    assert.equal((await fetch(`${server.url}/tiles/kostat-2018/3/9/1.pbf`)).status, 404);
  });

  test('both encoders (ST_AsMVT where PostGIS has it, vt-pbf on the embedded one) give the same features', async () => {
    const tiles = new TileService(server.db.dataSource, server.services.boundarySets);
    const auto = await tiles.tile('kostat-2018', 11, 1746, 793, 'auto');
    const here = await tiles.tile('kostat-2018', 11, 1746, 793, 'vt-pbf');
    const features = (bytes: Buffer) =>
      Object.entries(decode(bytes, 11, 1746, 793)).flatMap(([layer, list]) => list.map((f) => `${layer} ${f.code} ${f.name} ${JSON.stringify(f.geojson.geometry)}`)).sort();
    const a = features(auto!.bytes);
    assert.ok(a.length > 5, `${a.length} features`);
    assert.deepEqual(a, features(here!.bytes));
  });
});
