/**
 * Writes a quantized copy of a TopoJSON file (delta-encoded integer arcs, as topojson-client's
 * quantize does), for bundling: the KOSTAT 2013 files shrink to under half their size.
 *
 *   tsx scripts/quantize-topojson.ts <in.json> <out.json> [count=1000000]
 *
 * With 1,000,000 steps over Korea's extent a vertex moves by at most about half a metre.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { quantize } from 'topojson-client';

const [input, output, count = '1000000'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: tsx scripts/quantize-topojson.ts <in.json> <out.json> [count]');
  process.exit(2);
}
const topology = JSON.parse(readFileSync(input, 'utf8')) as Parameters<typeof quantize>[0];
if (topology.transform) throw new Error(`${input} is already quantized`);
writeFileSync(output, JSON.stringify(quantize(topology, Number(count))));
