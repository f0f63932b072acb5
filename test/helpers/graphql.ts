import fs from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A plain GraphQL POST, as any HTTP client would send it. */
export async function gql<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as GraphQLResponse<T>;
}

export const CONVERSION_FIELDS = `id fileName status phase totalRows processedRows matchedRows nearestRows unmatchedRows invalidRows
  progress error createdAt startedAt finishedAt downloadUrl boundarySet detectedSrid notes
  detectedColumns { sheet xColumn yColumn headerRow dataRows srid foundBy swapped }`;

/**
 * createConversion as a real multipart request (GraphQL multipart request spec), with the
 * preflight header Apollo's CSRF protection asks for.
 */
export async function uploadConversion(
  url: string,
  file: string | { name: string; content: Buffer | string },
  options: Record<string, unknown> | null = null,
): Promise<{ status: number; body: GraphQLResponse<{ createConversion: Record<string, any> }> }> {
  const { name, content } = typeof file === 'string' ? { name: path.basename(file), content: fs.readFileSync(file) } : file;
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: `mutation ($file: Upload!, $options: ConversionOptions) { createConversion(file: $file, options: $options) { ${CONVERSION_FIELDS} } }`,
      variables: { file: null, options },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([content]), name);
  const res = await fetch(url, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  return { status: res.status, body: (await res.json()) as GraphQLResponse<{ createConversion: Record<string, any> }> };
}

export const PREVIEW_FIELDS = `fileName format encoding delimiter detectedSrid boundarySet notes
  sheets { name converted headerRow header xColumn yColumn foundBy swapped srid dataRows
    rows { rowNumber cells x y result address code note } }`;

/** previewFile as a real multipart request, like uploadConversion. */
export async function uploadPreview(
  url: string,
  file: { name: string; content: Buffer | string },
  options: Record<string, unknown> | null = null,
  rows?: number,
): Promise<GraphQLResponse<{ previewFile: Record<string, any> }>> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: `mutation ($file: Upload!, $options: ConversionOptions, $rows: Int) { previewFile(file: $file, options: $options, rows: $rows) { ${PREVIEW_FIELDS} } }`,
      variables: { file: null, options, rows },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([file.content]), file.name);
  const res = await fetch(url, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  return (await res.json()) as GraphQLResponse<{ previewFile: Record<string, any> }>;
}

/** Collects every conversionProgress event over graphql-ws until the server completes the stream. */
export function followProgress(wsUrl: string, id: string, onFirst?: () => void): Promise<Record<string, any>[]> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const events: Record<string, any>[] = [];
  return new Promise((resolve, reject) => {
    client.subscribe<{ conversionProgress: Record<string, any> }>(
      { query: `subscription ($id: ID!) { conversionProgress(id: $id) { ${CONVERSION_FIELDS} } }`, variables: { id } },
      {
        next: (msg) => {
          if (msg.errors?.length) reject(new Error(msg.errors.map((e) => e.message).join('; ')));
          else if (msg.data) {
            events.push(msg.data.conversionProgress);
            if (events.length === 1) onFirst?.();
          }
        },
        error: (err) => {
          void client.dispose();
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        },
        complete: () => {
          void client.dispose();
          resolve(events);
        },
      },
    );
  });
}

/** Polls `conversion(id)` until it reaches a terminal status (for tests that do not subscribe). */
export async function waitForConversion(url: string, id: string, timeoutMs = 120_000): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await gql<{ conversion: Record<string, any> }>(url, `query ($id: ID!) { conversion(id: $id) { ${CONVERSION_FIELDS} } }`, { id });
    const c = res.data?.conversion;
    if (c && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(c.status)) return c;
    if (Date.now() > until) throw new Error(`Conversion ${id} still ${c?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
