import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CONVERSION_FIELDS, type GraphQLResponse } from './graphql';

/** `Authorization: Bearer <key>` when a key is given; no header otherwise. */
export function bearer(key: string | null): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** A GraphQL POST sent with an API key (or none), with the HTTP status. */
export async function gqlAs<T = Record<string, any>>(
  url: string,
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; body: GraphQLResponse<T> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as GraphQLResponse<T> };
}

/** createConversion (or previewFile) as a real multipart request sent with an API key. */
export async function uploadAs(
  url: string,
  key: string | null,
  file: { name: string; content: Buffer | string },
  options: Record<string, unknown> | null = null,
  operation: 'createConversion' | 'previewFile' = 'createConversion',
): Promise<{ status: number; body: GraphQLResponse<Record<string, any>> }> {
  const query =
    operation === 'createConversion'
      ? `mutation ($file: Upload!, $options: ConversionOptions) { createConversion(file: $file, options: $options) { ${CONVERSION_FIELDS} } }`
      : `mutation ($file: Upload!, $options: ConversionOptions) { previewFile(file: $file, options: $options) { fileName } }`;
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { file: null, options } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([file.content]), file.name);
  const res = await fetch(url, { method: 'POST', headers: { 'apollo-require-preflight': 'true', ...bearer(key) }, body: form });
  return { status: res.status, body: (await res.json()) as GraphQLResponse<Record<string, any>> };
}

/** Polls conversion(id) with a key until it is finished. */
export async function waitAs(url: string, key: string | null, id: string, timeoutMs = 120_000): Promise<Record<string, any>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await gqlAs(url, key, `query ($id: ID!) { conversion(id: $id) { ${CONVERSION_FIELDS} } }`, { id });
    const c = body.data?.conversion;
    if (c && ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'].includes(c.status)) return c;
    if (Date.now() > until) throw new Error(`Conversion ${id} still ${c?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type SubscriptionOutcome =
  | { kind: 'events'; events: Record<string, any>[] }
  | { kind: 'errors'; codes: (string | undefined)[] }
  | { kind: 'closed'; code: number; reason: string };

/** conversionProgress over graphql-ws with `authorization` in connectionParams (or none). */
export function subscribeAs(wsUrl: string, authorization: string | null, id: string): Promise<SubscriptionOutcome> {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
  });
  const events: Record<string, any>[] = [];
  return new Promise((resolve) => {
    const finish = (outcome: SubscriptionOutcome) => {
      void client.dispose();
      resolve(outcome);
    };
    let errorCodes: (string | undefined)[] | null = null;
    client.subscribe<{ conversionProgress: Record<string, any> }>(
      { query: `subscription ($id: ID!) { conversionProgress(id: $id) { id status } }`, variables: { id } },
      {
        // A subscription refused by its resolver arrives as one result with errors, then completes.
        next: (msg) => {
          if (msg.errors?.length) errorCodes = msg.errors.map((e) => e.extensions?.code as string | undefined);
          else if (msg.data) events.push(msg.data.conversionProgress);
        },
        error: (err) => {
          if (Array.isArray(err)) finish({ kind: 'errors', codes: err.map((e) => e.extensions?.code as string | undefined) });
          else {
            const close = err as { code?: number; reason?: string };
            finish({ kind: 'closed', code: close.code ?? -1, reason: close.reason ?? String(err) });
          }
        },
        complete: () => finish(errorCodes ? { kind: 'errors', codes: errorCodes } : { kind: 'events', events }),
      },
    );
  });
}
