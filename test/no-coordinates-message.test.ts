import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeFile } from '../src/conversion/analyze';
import { parseConversionOptions } from '../src/conversion/options';
import { UserInputError } from '../src/errors';
import { openTableSource } from '../src/reading/open-source';

/** The failure of a file whose coordinates were not found, as the user reads it. */
async function noCoordinatesMessage(content: string, options: Record<string, unknown> | null): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-nocoord-'));
  const file = path.join(dir, 'points.csv');
  fs.writeFileSync(file, content);
  try {
    const source = await openTableSource(file, 'points.csv', 'CSV');
    const err = await analyzeFile(source, parseConversionOptions(options)).then(
      () => assert.fail('expected NO_COORDINATES'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UserInputError);
    assert.equal(err.code, 'NO_COORDINATES');
    return err.message;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A lon/lat file whose y column has no name, sent with the README's old example srid.
const LON_LAT_BLANK_Y = 'x,,memo\n126.9707,37.5735,a\n129.0756,35.1796,b\n127.3845,36.3504,c\n';

test('the no-coordinates error names the srid that was tried and every column, blank-named ones too', async () => {
  const message = await noCoordinatesMessage(LON_LAT_BLANK_Y, { srid: 5179 });
  assert.match(message, /"points": A "x", B \(blank\), C "memo"/);
  assert.match(message, /as EPSG:5179 \(Korea 2000 \/ Unified CS\), the srid option/);
  assert.match(message, /leave srid out or set it to 4326/);
});

test('without srid it says every recognisable system was tried', async () => {
  const message = await noCoordinatesMessage('name,,city\n김철수,,서울\n', null);
  assert.match(message, /A "name", B \(blank\), C "city"/);
  assert.match(message, /each coordinate system recognisable from values \(EPSG:4326/);
  assert.doesNotMatch(message, /srid option/);
});

test('the same file without srid is read as lon/lat from its values', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c2r-nocoord-'));
  const file = path.join(dir, 'points.csv');
  fs.writeFileSync(file, LON_LAT_BLANK_Y);
  try {
    const layout = await analyzeFile(await openTableSource(file, 'points.csv', 'CSV'), parseConversionOptions(null));
    assert.equal(layout.srid, 4326);
    assert.deepEqual([layout.sheets[0].xIndex, layout.sheets[0].yIndex], [0, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
