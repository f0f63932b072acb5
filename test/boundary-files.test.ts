import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { planImport } from '../src/boundaries/import-plan';
import { sridFromPrj } from '../src/boundaries/prj-srid';
import { readShapefileFeatures, inspectShapefile } from '../src/boundaries/shapefile-reader';
import { squares } from './helpers/geojson';
import { FIXTURES, ROOT } from './helpers/server';

const TL = path.join(FIXTURES, 'tl-scco');
const tl = (level: string) => path.join(TL, `TL_SCCO_${level}.shp`);
const HANGUL = /^[가-힣0-9 ]+$/;

const OGC = {
  5186: `PROJCS["Korea 2000 / Central Belt 2010",GEOGCS["Korea 2000",DATUM["Geocentric_datum_of_Korea",SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",38],PARAMETER["central_meridian",127],PARAMETER["scale_factor",1],PARAMETER["false_easting",200000],PARAMETER["false_northing",600000],UNIT["metre",1],AXIS["Northing",NORTH],AXIS["Easting",EAST]]`,
  5174: `PROJCS["Korean_1985_Modified_Korea_Central_Belt",GEOGCS["GCS_Korean_Datum_1985",DATUM["D_Korean_Datum_1985",SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",200000.0],PARAMETER["False_Northing",500000.0],PARAMETER["Central_Meridian",127.0028902777778],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",38.0],UNIT["Meter",1.0]]`,
  5181: `PROJCS["Korea_2000_Korea_Central_Belt",GEOGCS["GCS_Korea_2000",DATUM["D_Korea_2000",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",200000.0],PARAMETER["False_Northing",500000.0],PARAMETER["Central_Meridian",127.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",38.0],UNIT["Meter",1.0]]`,
  4326: `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`,
  4737: `GEOGCS["GCS_Korea_2000",DATUM["D_Korea_2000",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`,
};
const UTM52N = `PROJCS["WGS_1984_UTM_Zone_52N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",129.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`;

describe('.prj → EPSG code', () => {
  test('the official TL_SCCO .prj (ESRI WKT, no AUTHORITY) is EPSG:5179 by its parameters', () => {
    const match = sridFromPrj(fs.readFileSync(path.join(TL, 'TL_SCCO_EMD.prj'), 'utf8'));
    assert.deepEqual(match, { srid: 5179, via: 'parameters', name: 'Korea 2000 / Unified CS' });
  });

  test('the other Korean systems, in OGC and ESRI spelling', () => {
    for (const [srid, wkt] of Object.entries(OGC)) assert.equal(sridFromPrj(wkt)?.srid, Number(srid), `EPSG:${srid}`);
  });

  test('an AUTHORITY wins; an unknown system is null; garbage is an error', () => {
    assert.equal(sridFromPrj(UTM52N.replace(/\]$/, ',AUTHORITY["EPSG","32652"]]'))?.srid, 32652);
    assert.equal(sridFromPrj(UTM52N), null);
    assert.throws(() => sridFromPrj('this is not WKT'), /Not a WKT/);
  });
});

describe('reading shapefiles', () => {
  test('CP949 names come out right with a .cpg and without one (the default)', async () => {
    for (const level of ['SIG', 'EMD', 'LI']) {
      const info = await inspectShapefile(tl(level));
      assert.equal(info.encoding.encoding, 'cp949');
      assert.equal(info.encoding.from, level === 'SIG' ? 'cpg' : 'default');
      const field = (suffix: string) => info.fields.find((f) => f.endsWith(suffix))!;
      let n = 0;
      for await (const f of readShapefileFeatures(info, { codeField: field('_CD'), nameField: field('_KOR_NM') })) {
        assert.match(f.name, HANGUL, `${level} ${f.code}`);
        assert.ok(['Polygon', 'MultiPolygon'].includes(f.geometry.type));
        n++;
      }
      assert.equal(n, info.recordCount);
    }
  });

  test('a UHC-only syllable (똠) survives: the DBF is decoded as CP949, not as EUC-KR', async () => {
    const dir = tempDir();
    for (const ext of ['.shp', '.shx', '.prj']) fs.copyFileSync(path.join(TL, `TL_SCCO_SIG${ext}`), path.join(dir, `TL_SCCO_SIG${ext}`));
    const dbf = fs.readFileSync(path.join(TL, 'TL_SCCO_SIG.dbf'));
    const info = await inspectShapefile(tl('SIG'));
    // Overwrite the first record's name field in place with a CP949-encoded name.
    const headerLength = dbf.readUInt16LE(8);
    const nameOffset = 1 + 80 + 80; // SIG_CD, SIG_ENG_NM, then SIG_KOR_NM (all C80)
    assert.deepEqual(info.fields, ['SIG_CD', 'SIG_ENG_NM', 'SIG_KOR_NM']);
    const bytes = iconv.encode('똠방구', 'cp949');
    dbf.fill(0x20, headerLength + nameOffset, headerLength + nameOffset + 80);
    bytes.copy(dbf, headerLength + nameOffset);
    fs.writeFileSync(path.join(dir, 'TL_SCCO_SIG.dbf'), dbf);
    const copy = await inspectShapefile(path.join(dir, 'TL_SCCO_SIG.shp'));
    const first = await readShapefileFeatures(copy, { codeField: 'SIG_CD', nameField: 'SIG_KOR_NM' }).next();
    assert.equal(first.value?.name, '똠방구');
  });
});

describe('planning an import', () => {
  test('the four TL_SCCO files become levels 1–4 with no flags', async () => {
    const plan = await planImport(['CTPRVN', 'SIG', 'EMD', 'LI'].map(tl));
    assert.equal(plan.name, 'tl-scco');
    assert.deepEqual(
      plan.files.map((f) => [f.level, f.levelName, f.codeField, f.nameField, f.srid, f.encoding?.from]),
      [
        [1, '시도', 'CTPRVN_CD', 'CTP_KOR_NM', 5179, 'cpg'],
        [2, '시군구', 'SIG_CD', 'SIG_KOR_NM', 5179, 'cpg'],
        [3, '읍면동', 'EMD_CD', 'EMD_KOR_NM', 5179, 'default'],
        [4, '리', 'LI_CD', 'LI_KOR_NM', 5179, 'default'],
      ],
    );
  });

  test('KOSTAT TopoJSON is recognised by code/name, its level by the code length', async () => {
    const plan = await planImport([path.join(ROOT, 'data/boundaries/skorea-provinces-2018-topo.json')], { set: 'x' });
    assert.deepEqual(plan.files.map((f) => [f.format, f.level, f.codeField, f.nameField, f.srid]), [['TopoJSON', 1, 'code', 'name', 4326]]);
  });

  test('clear errors: missing .dbf, unknown CRS (and --srid fixes it), unknown layout, wrong field, bad encoding', async () => {
    const dir = tempDir();
    const shpOnly = path.join(dir, 'lonely.shp');
    fs.copyFileSync(tl('SIG'), shpOnly);
    await assert.rejects(planImport([shpOnly]), /lonely\.shp: no \.dbf beside it/);

    for (const ext of ['.shp', '.shx', '.dbf']) fs.copyFileSync(path.join(TL, `TL_SCCO_SIG${ext}`), path.join(dir, `TL_SCCO_SIG${ext}`));
    fs.writeFileSync(path.join(dir, 'TL_SCCO_SIG.prj'), UTM52N);
    const sig = path.join(dir, 'TL_SCCO_SIG.shp');
    await assert.rejects(planImport([sig]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'UNKNOWN_SRID');
      assert.match(err.message, /does not recognise.*--srid/s);
      return true;
    });
    assert.equal((await planImport([sig], { srid: 5179 })).files[0].sridFrom, '--srid');
    fs.rmSync(path.join(dir, 'TL_SCCO_SIG.prj'));
    await assert.rejects(planImport([sig]), /it has no \.prj.*--srid/);

    const custom = path.join(dir, 'custom.geojson');
    fs.writeFileSync(custom, JSON.stringify(squares([['99', '가도', 0]])));
    await assert.rejects(planImport([custom]), /not a recognised layout.*give --level, --code-field, --name-field\. Its fields: adm_cd, adm_nm/);
    await assert.rejects(planImport([custom], { levels: [1], codeFields: ['ADM_CD'], nameFields: ['adm_nm'] }), /no field "ADM_CD" \(--code-field\)/);
    await assert.rejects(planImport([sig], { srid: 5179, encoding: 'klingon' }), /unknown character encoding "klingon"/);
    await assert.rejects(planImport([path.join(dir, 'nothing.csv')]), /unsupported file type/);
    await assert.rejects(planImport([tl('SIG'), tl('SIG')]), /are both level 2/);
  });

  test('projected GeoJSON without a crs is refused unless --srid says what it is', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'projected.geojson');
    const fc = squares([['99', '가도', 0]]);
    for (const f of fc.features) f.geometry.coordinates = f.geometry.coordinates.map((ring) => ring.map(([x, y]) => [x * 1000, y * 1000]));
    fs.writeFileSync(file, JSON.stringify(fc));
    await assert.rejects(planImport([file], { levels: [1], codeFields: ['adm_cd'], nameFields: ['adm_nm'] }), /not longitude\/latitude; pass --srid/);
  });
});

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-files-'));
  dirs.push(dir);
  return dir;
}
