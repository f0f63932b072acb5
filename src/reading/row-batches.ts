import type { CellValue, ChunkRows, Row } from './table-source';

/**
 * Rows packed for the trip from the reading worker to the main thread: every string of the
 * batch in one text (a single copy, not one object per cell), the cells' kinds, lengths and
 * numbers in typed arrays whose buffers are transferred, not copied. Unpacking slices the text,
 * which is about what the parser itself does per cell. Written by hand: structured cloning an
 * array of arrays costs the main thread several times more per row than this.
 */
export interface PackedRows {
  text: string;
  /** Per cell: see Kind. */
  kinds: Uint8Array;
  /** Per string cell, its length in UTF-16 units. */
  lengths: Uint32Array;
  /** Per number or date cell, its value (a date as epoch milliseconds). */
  numbers: Float64Array;
  /** Per row, its number of cells. */
  widths: Uint32Array;
  rows: number;
}

const enum Kind {
  Null = 0,
  String = 1,
  Number = 2,
  True = 3,
  False = 4,
  Date = 5,
}

/** Collects rows until the batch is full (by rows or characters), then hands them over packed. */
export class RowPacker {
  private kinds = new Uint8Array(8192);
  private lengths = new Uint32Array(8192);
  private numbers = new Float64Array(1024);
  private widths = new Uint32Array(1024);
  private parts: string[] = [];
  private cells = 0;
  private strings = 0;
  private numberCount = 0;
  private rowCount = 0;
  private chars = 0;

  constructor(
    private readonly maxRows: number,
    private readonly maxChars: number,
    /** Longest cell and row (all cells) accepted, in characters; see `add`. */
    private readonly maxCellChars = Infinity,
    private readonly maxRowChars = Infinity,
  ) {}

  get size(): number {
    return this.rowCount;
  }

  get full(): boolean {
    return this.rowCount >= this.maxRows || this.chars >= this.maxChars;
  }

  /**
   * Adds a row; 'cell' or 'row' (and nothing added) when a cell or the whole row is longer than
   * allowed, so a reader never hands on what it must refuse.
   */
  add(row: Row): 'ok' | 'cell' | 'row' {
    const width = row.length;
    let rowChars = 0;
    for (let i = 0; i < width; i++) {
      const v = row[i];
      if (typeof v === 'string') {
        if (v.length > this.maxCellChars) return 'cell';
        rowChars += v.length;
      }
    }
    if (rowChars > this.maxRowChars) return 'row';
    if (this.cells + width > this.kinds.length) {
      const size = Math.max(this.kinds.length * 2, this.cells + width);
      this.kinds = grow(this.kinds, size, Uint8Array);
      this.lengths = grow(this.lengths, size, Uint32Array);
    }
    if (this.rowCount === this.widths.length) this.widths = grow(this.widths, this.widths.length * 2, Uint32Array);
    this.widths[this.rowCount++] = width;
    for (let i = 0; i < width; i++) {
      const v = row[i];
      let kind: Kind;
      if (typeof v === 'string') {
        kind = Kind.String;
        this.parts.push(v);
        this.lengths[this.strings++] = v.length;
        this.chars += v.length;
      } else if (typeof v === 'number') {
        kind = Kind.Number;
        this.pushNumber(v);
      } else if (v === true) kind = Kind.True;
      else if (v === false) kind = Kind.False;
      else if (v instanceof Date) {
        kind = Kind.Date;
        this.pushNumber(v.getTime());
      } else kind = Kind.Null;
      this.kinds[this.cells++] = kind;
    }
    return 'ok';
  }

  /** The batch so far, packed; the packer starts a new one. */
  take(): PackedRows {
    const packed: PackedRows = {
      text: this.parts.join(''),
      kinds: this.kinds.slice(0, this.cells),
      lengths: this.lengths.slice(0, this.strings),
      numbers: this.numbers.slice(0, this.numberCount),
      widths: this.widths.slice(0, this.rowCount),
      rows: this.rowCount,
    };
    this.parts = [];
    this.cells = this.strings = this.numberCount = this.rowCount = this.chars = 0;
    return packed;
  }

  private pushNumber(n: number): void {
    if (this.numberCount === this.numbers.length) this.numbers = grow(this.numbers, this.numbers.length * 2, Float64Array);
    this.numbers[this.numberCount++] = n;
  }
}

/** The buffers to transfer with a packed batch. */
export function transferablesOf(p: PackedRows): ArrayBuffer[] {
  return [p.kinds.buffer, p.lengths.buffer, p.numbers.buffer, p.widths.buffer] as ArrayBuffer[];
}

export function unpackRows(p: PackedRows): Row[] {
  const out: Row[] = new Array(p.rows);
  const { text, kinds, lengths, numbers, widths } = p;
  let cell = 0;
  let str = 0;
  let num = 0;
  let at = 0;
  for (let r = 0; r < p.rows; r++) {
    const width = widths[r];
    const row: CellValue[] = new Array(width);
    for (let i = 0; i < width; i++) {
      switch (kinds[cell++]) {
        case Kind.String: {
          const end = at + lengths[str++];
          row[i] = text.slice(at, end);
          at = end;
          break;
        }
        case Kind.Number:
          row[i] = numbers[num++];
          break;
        case Kind.True:
          row[i] = true;
          break;
        case Kind.False:
          row[i] = false;
          break;
        case Kind.Date:
          row[i] = new Date(numbers[num++]);
          break;
        default:
          row[i] = null;
      }
    }
    out[r] = row;
  }
  return out;
}

/**
 * A packed batch readable where it lies: a cell is sliced out of the batch's text only when asked
 * for, so a chunk of 100,000 rows is a few strings and typed arrays instead of a million small
 * objects. The conversion holds up to three chunks for seconds each; as arrays of rows they
 * outlived the young generation, and collecting them took a quarter of the main thread's time at
 * a million rows. Chunks are cut from and joined out of batches without unpacking them.
 */
export class RowBatch implements ChunkRows {
  /** Per row r, the index of its first cell (rows + 1 entries)… */
  private readonly rowCells: Uint32Array;
  /** …of its first string, its first number, and its first character in `text`. */
  private readonly rowStrings: Uint32Array;
  private readonly rowNumbers: Uint32Array;
  private readonly rowChars: Uint32Array;
  /** Per cell: a string's index in `lengths`, or a number's in `numbers`… */
  private readonly at: Uint32Array;
  /** …and per string, where it starts in `text`. */
  private readonly starts: Uint32Array;

  constructor(readonly packed: PackedRows) {
    const { kinds, lengths, widths, rows } = packed;
    this.rowCells = new Uint32Array(rows + 1);
    this.rowStrings = new Uint32Array(rows + 1);
    this.rowNumbers = new Uint32Array(rows + 1);
    this.rowChars = new Uint32Array(rows + 1);
    this.at = new Uint32Array(kinds.length);
    this.starts = new Uint32Array(lengths.length);
    let cell = 0;
    let str = 0;
    let num = 0;
    let chars = 0;
    for (let r = 0; r < rows; r++) {
      this.rowCells[r] = cell;
      this.rowStrings[r] = str;
      this.rowNumbers[r] = num;
      this.rowChars[r] = chars;
      const end = cell + widths[r];
      for (; cell < end; cell++) {
        const kind = kinds[cell];
        if (kind === Kind.String) {
          this.starts[str] = chars;
          this.at[cell] = str;
          chars += lengths[str++];
        } else if (kind === Kind.Number || kind === Kind.Date) this.at[cell] = num++;
      }
    }
    this.rowCells[rows] = cell;
    this.rowStrings[rows] = str;
    this.rowNumbers[rows] = num;
    this.rowChars[rows] = chars;
  }

  /** Rows in lists (tests, small inputs) as a batch. */
  static of(rows: Row[]): RowBatch {
    const packer = new RowPacker(Infinity, Infinity);
    for (const row of rows) packer.add(row);
    return new RowBatch(packer.take());
  }

  get length(): number {
    return this.packed.rows;
  }

  /** Characters of text in rows from..to-1. */
  chars(from = 0, to = this.length): number {
    return this.rowChars[to] - this.rowChars[from];
  }

  width(i: number): number {
    return this.packed.widths[i];
  }

  cell(i: number, column: number): CellValue {
    if (column < 0 || column >= this.packed.widths[i]) return null;
    const k = this.rowCells[i] + column;
    switch (this.packed.kinds[k]) {
      case Kind.String: {
        const s = this.at[k];
        return this.packed.text.slice(this.starts[s], this.starts[s] + this.packed.lengths[s]);
      }
      case Kind.Number:
        return this.packed.numbers[this.at[k]];
      case Kind.True:
        return true;
      case Kind.False:
        return false;
      case Kind.Date:
        return new Date(this.packed.numbers[this.at[k]]);
      default:
        return null;
    }
  }

  row(i: number): Row {
    const width = this.packed.widths[i];
    const row: CellValue[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = this.cell(i, c);
    return row;
  }

  /** Rows from..to-1 as a batch of their own (copied). */
  slice(from: number, to = this.length): RowBatch {
    return new RowBatch(this.packedSlice(from, to));
  }

  /** Rows from..to-1 packed, in buffers of their own (to be transferred to another thread). */
  packedSlice(from: number, to = this.length): PackedRows {
    const p = this.packed;
    return {
      text: p.text.slice(this.rowChars[from], this.rowChars[to]),
      kinds: p.kinds.slice(this.rowCells[from], this.rowCells[to]),
      lengths: p.lengths.slice(this.rowStrings[from], this.rowStrings[to]),
      numbers: p.numbers.slice(this.rowNumbers[from], this.rowNumbers[to]),
      widths: p.widths.slice(from, to),
      rows: to - from,
    };
  }
}

/**
 * Batches one after the other as one chunk of rows, left as they are: joining them into one batch
 * copied every chunk's text once more (0.4 s of the main thread at a million rows).
 */
export class BatchedRows implements ChunkRows {
  readonly length: number;
  /** The first row of each batch, then the number of rows. */
  private readonly starts: number[] = [0];
  /** The batch of the latest row asked for: rows are mostly read in order. */
  private current = 0;

  constructor(readonly batches: RowBatch[]) {
    for (const b of batches) this.starts.push(this.starts.at(-1)! + b.length);
    this.length = this.starts.at(-1)!;
  }

  cell(i: number, column: number): CellValue {
    const b = this.batchOf(i);
    return this.batches[b].cell(i - this.starts[b], column);
  }

  row(i: number): Row {
    const b = this.batchOf(i);
    return this.batches[b].row(i - this.starts[b]);
  }

  slice(from: number, to = this.length): BatchedRows {
    const parts: RowBatch[] = [];
    this.forEachPart(from, to, (batch, start, end) => parts.push(start === 0 && end === batch.length ? batch : batch.slice(start, end)));
    return new BatchedRows(parts);
  }

  /** Calls `each` with the part of each batch that rows from..to-1 cover, in order, and the number of the part's first row. */
  forEachPart(from: number, to: number, each: (batch: RowBatch, start: number, end: number, first: number) => void): void {
    for (let b = 0; b < this.batches.length && from < to; b++) {
      const start = this.starts[b];
      const end = this.starts[b + 1];
      if (end <= from) continue;
      const upTo = Math.min(end, to);
      each(this.batches[b], from - start, upTo - start, from);
      from = upTo;
    }
  }

  private batchOf(i: number): number {
    let b = this.current;
    if (i < this.starts[b] || i >= this.starts[b + 1]) {
      let lo = 0;
      let hi = this.batches.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.starts[mid] <= i) lo = mid;
        else hi = mid - 1;
      }
      b = this.current = lo;
    }
    return b;
  }
}

function grow<T extends Uint8Array | Uint32Array | Float64Array>(a: T, size: number, Ctor: new (n: number) => T): T {
  const next = new Ctor(size);
  next.set(a);
  return next;
}
