import ExcelJS from 'exceljs';

export interface SheetData {
  name: string;
  rows: unknown[][];
  frozenRows?: number;
}

/** Downloads a file over HTTP and returns its bytes, failing on a non-200 answer. */
export async function download(url: string): Promise<{ bytes: Buffer; contentType: string | null; disposition: string | null }> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type'), disposition: res.headers.get('content-disposition') };
}

/** Reads a whole workbook (test files are small) into plain rows of cell values. */
export async function readWorkbook(bytes: Buffer): Promise<SheetData[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb.worksheets.map((ws) => {
    const rows: unknown[][] = [];
    ws.eachRow({ includeEmpty: true }, (row, n) => {
      const values = (row.values as unknown[]).slice(1);
      rows[n - 1] = values.map((v) => (v === undefined ? null : v));
    });
    const view = ws.views?.[0] as { state?: string; ySplit?: number } | undefined;
    return { name: ws.name, rows: Array.from(rows, (r) => r ?? []), frozenRows: view?.state === 'frozen' ? view.ySplit : undefined };
  });
}
