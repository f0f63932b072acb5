import type { CellValue, Row } from '../reading/table-source';
import { resolveColumnSpec } from './columns';

/** Header words of a column of dates or timestamps (날짜, 일자, 일시, 발생시각, 측정시간, date, timestamp …). */
const DATE_HEADER = /(날짜|일자|일시|시각|시간|년월일|date|time|timestamp|datetime|^dt$|^ts$)/i;
/** Share of a column's non-empty sample values that must read as days for the column to be taken. */
const MIN_SHARE = 0.8;

/**
 * The day a cell stands for, as `YYYY-MM-DD`, or null: an Excel date cell, or text starting with
 * a day written year first (`2013-05-01`, `2013-05-01T09:30:00+09:00`, `2013/5/1 09:30`,
 * `2013.05.01`, `20130501`). The day is read as written, without moving it between time zones.
 */
export function dayOf(value: CellValue): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = String(value).trim();
  const m = /^(\d{4})(?:[-./]\s?(\d{1,2})[-./]\s?(\d{1,2})\.?|(\d{2})(\d{2}))(?:$|[\sT])/.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2] ?? m[4]), Number(m[3] ?? m[5])];
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31) return null;
  return `${m[1]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * The column a sheet's rows are dated by: the one `spec` names (header text, letter or 1-based
 * number), else one whose header says date or time and whose sample values read as days, else
 * one whose values are all dates (Excel date cells, ISO text). Coordinate columns are never it.
 */
export function findDateColumn(header: string[], sample: readonly Row[], spec: string | undefined, exclude: number[]): { index: number; detected: boolean } | null {
  if (spec) return { index: resolveColumnSpec(spec, header, 'dateColumn'), detected: false };
  const width = Math.max(header.length, ...sample.map((r) => r.length));
  const candidates: { index: number; named: boolean; share: number }[] = [];
  for (let i = 0; i < width; i++) {
    if (exclude.includes(i)) continue;
    const values = sample.map((r) => r[i]).filter((v) => v !== null && v !== undefined && v !== '');
    if (values.length === 0) continue;
    // Plain numbers read as yyyymmdd only under a header that says date. Checked before any value
    // is parsed: a wide sheet of numbers (16,384 columns) would otherwise parse every cell.
    const named = DATE_HEADER.test(header[i] ?? '');
    if (!named && values.every((v) => typeof v === 'number')) continue;
    const share = shareOfDays(values);
    if (share >= MIN_SHARE) candidates.push({ index: i, named, share });
  }
  candidates.sort((a, b) => Number(b.named) - Number(a.named) || b.share - a.share || a.index - b.index);
  return candidates.length ? { index: candidates[0].index, detected: true } : null;
}

/**
 * The share of `values` that read as days, or 0 as soon as too many do not for the column to
 * reach MIN_SHARE: a column of text gives up after a fifth of its sample instead of parsing all.
 */
function shareOfDays(values: readonly CellValue[]): number {
  const allowedMisses = Math.floor(values.length * (1 - MIN_SHARE) + 1e-9);
  let misses = 0;
  for (const v of values) {
    if (dayOf(v) === null && ++misses > allowedMisses) return 0;
  }
  return (values.length - misses) / values.length;
}
