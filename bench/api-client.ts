import fs from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { PhaseTimings } from '../src/entities/Conversion';

/** The GraphQL API as any client uses it: multipart upload, graphql-ws progress, HTTP download. */


export interface FinishedConversion {
  id: string;
  status: string;
  error: string | null;
  totalRows: number | null;
  processedRows: number;
  matchedRows: number;
  nearestRows: number;
  unmatchedRows: number;
  invalidRows: number;
  downloadUrl: string | null;
  timings: PhaseTimings | null;
}

const FIELDS = `id status error totalRows processedRows matchedRows nearestRows unmatchedRows invalidRows downloadUrl
  timings { analyzeMs readMs geocodeMs writeMs totalMs gridMatchedRows }`;

/** createConversion as a multipart request; the file is streamed from disk, not read into memory. */
export async function upload(baseUrl: string, file: string, options: Record<string, unknown> = {}): Promise<string> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: `mutation ($file: Upload!, $options: ConversionOptions) { createConversion(file: $file, options: $options) { id } }`,
      variables: { file: null, options },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', await fs.openAsBlob(file), path.basename(file));
  // Apollo's CSRF prevention wants a non-simple header on multipart requests.
  const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  const body = (await res.json()) as { data?: { createConversion: { id: string } }; errors?: { message: string }[] };
  if (!body.data) throw new Error(`Upload failed (${res.status}): ${JSON.stringify(body.errors)}`);
  return body.data.createConversion.id;
}

/** Resolves when the conversion reaches a final status, as seen by a conversionProgress subscriber. */
export function untilFinished(baseUrl: string, id: string): Promise<{ status: string }> {
  const client = createClient({ url: `${baseUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
  let last: { status: string } | null = null;
  return new Promise((resolve, reject) => {
    client.subscribe<{ conversionProgress: { status: string } }>(
      { query: `subscription ($id: ID!) { conversionProgress(id: $id) { status } }`, variables: { id } },
      {
        next: (msg) => {
          if (msg.errors?.length) reject(new Error(msg.errors.map((e) => e.message).join('; ')));
          else if (msg.data) last = msg.data.conversionProgress;
        },
        error: (err) => {
          void client.dispose();
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        },
        complete: () => {
          void client.dispose();
          if (last) resolve(last);
          else reject(new Error('The progress stream ended without an event'));
        },
      },
    );
  });
}

export async function getConversion(baseUrl: string, id: string): Promise<FinishedConversion> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `query ($id: ID!) { conversion(id: $id) { ${FIELDS} } }`, variables: { id } }),
  });
  const body = (await res.json()) as { data?: { conversion: FinishedConversion } };
  if (!body.data?.conversion) throw new Error(`No conversion ${id}: ${JSON.stringify(body)}`);
  return body.data.conversion;
}

/** Downloads the output, counting the bytes without keeping them. */
export async function download(url: string): Promise<number> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`Download failed: ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

/** Response times of the API's per-conversion summaries (counts by region, problem rows). */
export interface SummaryTimings {
  regionCountsLevel1Ms: number;
  regionCountsLevel3Ms: number;
  problemRowsFirstPageMs: number;
  /** A page of 100 from the middle of the problem rows (the offset has to be found). */
  problemRowsMiddlePageMs: number;
  problemRows: number;
}

export async function timeSummaries(baseUrl: string, id: string, problemRows: number): Promise<SummaryTimings> {
  const timed = async (query: string, variables: Record<string, unknown>) => {
    const t = performance.now();
    const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { errors?: { message: string }[] };
    if (body.errors) throw new Error(body.errors[0].message);
    return performance.now() - t;
  };
  const counts = 'query ($id: ID!, $level: Int!) { conversion(id: $id) { regionCounts(level: $level) { code name rows } } }';
  const rows = 'query ($id: ID!, $offset: Int) { conversion(id: $id) { problemRows(first: 100, offset: $offset) { sheet rowNumber result x y lon lat reason } } }';
  return {
    regionCountsLevel1Ms: await timed(counts, { id, level: 1 }),
    regionCountsLevel3Ms: await timed(counts, { id, level: 3 }),
    problemRowsFirstPageMs: await timed(rows, { id, offset: 0 }),
    problemRowsMiddlePageMs: await timed(rows, { id, offset: Math.floor(problemRows / 2) }),
    problemRows,
  };
}
