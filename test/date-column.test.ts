import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dayOf, findDateColumn } from '../src/detection/date-column';
import type { Row } from '../src/reading/table-source';

/** Which column dates a sheet's rows: the rules on small samples, without a server. */
describe('date column detection', () => {
  test('days written the ways people write them, and what is not a day', () => {
    assert.equal(dayOf('2013-05-01T09:30:00+09:00'), '2013-05-01');
    assert.equal(dayOf('2013/5/1 09:30'), '2013-05-01');
    assert.equal(dayOf('2013.05.01.'), '2013-05-01');
    assert.equal(dayOf(20130501), '2013-05-01');
    assert.equal(dayOf(new Date(Date.UTC(2018, 0, 31))), '2018-01-31');
    for (const notADay of ['2013-13-01', '1800-01-01', '서울', '126.97', 37.57, '', null, true]) assert.equal(dayOf(notADay), null, String(notADay));
  });

  test('a column named 일시 is taken over an unnamed column of dates, and coordinates never are', () => {
    const header = ['경도', '위도', '기록', '측정일시'];
    const sample: Row[] = [
      [126.97, 37.57, '2020-01-01', '2013-05-01 09:00'],
      [129.07, 35.18, '2020-01-02', '2013-05-02 10:00'],
    ];
    assert.deepEqual(findDateColumn(header, sample, undefined, [0, 1]), { index: 3, detected: true });
    assert.deepEqual(findDateColumn(['a', 'b', 'c'], sample.map((r) => r.slice(0, 3)), undefined, [0, 1]), { index: 2, detected: true });
  });

  test('plain numbers read as yyyymmdd only under a header that says date', () => {
    const sample: Row[] = [[20130501], [20130502], [20130503]];
    assert.equal(findDateColumn(['번호'], sample, undefined, []), null);
    assert.deepEqual(findDateColumn(['날짜'], sample, undefined, []), { index: 0, detected: true });
  });

  test('four days in five are enough, three in five are not', () => {
    const col = (days: number): Row[] => Array.from({ length: 5 }, (_, i) => [i < days ? `2013-05-0${i + 1}` : '미상']);
    assert.deepEqual(findDateColumn(['x'], col(4), undefined, []), { index: 0, detected: true });
    assert.equal(findDateColumn(['x'], col(3), undefined, []), null);
  });

  test('a named column is the one asked for; a sheet 16,384 numeric columns wide has none', () => {
    assert.deepEqual(findDateColumn(['a', '기록'], [['x', 'y']], '기록', []), { index: 1, detected: false });
    assert.deepEqual(findDateColumn(['a', 'b'], [['x', 'y']], 'B', []), { index: 1, detected: false });
    const wide: Row[] = Array.from({ length: 50 }, (_, r) => Array.from({ length: 16_384 }, (_, c) => r * 16_384 + c + 0.5));
    assert.equal(findDateColumn([], wide, undefined, []), null);
  });
});
