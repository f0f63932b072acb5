import fs from 'node:fs';
import { once } from 'node:events';

/**
 * A realistic input for the bench: vehicle positions as a fleet export would have them, points
 * spread across Korea but weighted toward where people live, a few percent out at sea (coastal
 * roads, ferries, GPS noise) and about 1% unusable (empty or non-numeric coordinates), with the
 * extra columns such exports carry. Seeded, so every run sees the same file.
 */

/** [lon, lat, weight, spread in km]: the larger cities, where most fleet points are. */
const CENTRES: [number, number, number, number][] = [
  [126.978, 37.566, 0.2, 9], // Seoul
  [126.705, 37.456, 0.06, 7], // Incheon
  [127.028, 37.263, 0.05, 6], // Suwon
  [127.137, 37.42, 0.04, 5], // Seongnam
  [126.832, 37.658, 0.03, 5], // Goyang
  [127.177, 37.241, 0.03, 6], // Yongin
  [129.075, 35.18, 0.07, 7], // Busan
  [128.601, 35.871, 0.05, 7], // Daegu
  [127.385, 36.351, 0.03, 6], // Daejeon
  [126.851, 35.16, 0.03, 6], // Gwangju
  [129.311, 35.539, 0.02, 6], // Ulsan
  [128.681, 35.228, 0.02, 6], // Changwon
  [127.489, 36.642, 0.02, 6], // Cheongju
  [127.148, 35.824, 0.015, 5], // Jeonju
  [127.114, 36.815, 0.015, 5], // Cheonan
  [129.343, 36.019, 0.01, 6], // Pohang
  [126.531, 33.499, 0.01, 8], // Jeju
  [128.889, 35.228, 0.01, 5], // Gimhae
];
/** The rest: anywhere in the mainland's box, which includes sea on three sides. */
const COUNTRY_BOX = { lon: [126.1, 129.5], lat: [34.3, 38.3] };
const COUNTRY_WEIGHT = 0.08;
/** Share of rows whose coordinates are unusable. */
const INVALID_SHARE = 0.01;

const HANGUL_PLATE = '가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주하허호';

/** mulberry32: small, fast and good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Points with the bench's distribution (no invalid ones): also the sample for the old-way loop. */
export function pointGenerator(random: () => number): () => [number, number] {
  const total = CENTRES.reduce((s, c) => s + c[2], 0) + COUNTRY_WEIGHT;
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return () => {
    let pick = random() * total;
    for (const [lon, lat, weight, km] of CENTRES) {
      pick -= weight;
      if (pick < 0) {
        const dLat = (gaussian() * km) / 111;
        const dLon = (gaussian() * km) / (111 * Math.cos((lat * Math.PI) / 180));
        return [lon + dLon, lat + dLat];
      }
    }
    const [lon0, lon1] = COUNTRY_BOX.lon;
    const [lat0, lat1] = COUNTRY_BOX.lat;
    return [lon0 + random() * (lon1 - lon0), lat0 + random() * (lat1 - lat0)];
  };
}

export const CSV_HEADER = 'id,vehicle_no,recorded_at,lon,lat,speed_kmh,heading,driver';

/** Writes `rows` data rows (plus the header) to `file`, streaming, with backpressure. */
export async function generateCsv(file: string, rows: number, seed = 20180101): Promise<{ bytes: number; invalid: number }> {
  const random = seededRandom(seed);
  const nextPoint = pointGenerator(random);
  const out = fs.createWriteStream(file);
  let bytes = 0;
  let invalid = 0;
  let batch = CSV_HEADER + '\n';
  const start = Date.UTC(2024, 4, 1, 0, 0, 0);
  for (let i = 0; i < rows; i++) {
    const [lon, lat] = nextPoint();
    let x = lon.toFixed(6);
    let y = lat.toFixed(6);
    if (random() < INVALID_SHARE) {
      invalid++;
      const kind = Math.floor(random() * 4);
      if (kind === 0) x = '';
      else if (kind === 1) y = '';
      else if (kind === 2) x = y = 'N/A';
      else x = `${x}a`;
    }
    const plate = `${10 + Math.floor(random() * 90)}${HANGUL_PLATE[Math.floor(random() * HANGUL_PLATE.length)]}${1000 + Math.floor(random() * 9000)}`;
    const when = new Date(start + i * 1000 + Math.floor(random() * 1000)).toISOString().replace('T', ' ').slice(0, 19);
    const speed = (random() * 110).toFixed(1);
    const heading = Math.floor(random() * 360);
    const driver = `D${String(Math.floor(random() * 5000)).padStart(5, '0')}`;
    batch += `${i + 1},${plate},${when},${x},${y},${speed},${heading},${driver}\n`;
    if (batch.length > 1 << 20) {
      bytes += Buffer.byteLength(batch);
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  out.end(batch);
  await once(out, 'finish');
  return { bytes, invalid };
}
