import type { CellValue, Row } from './table-source';

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

function grow<T extends Uint8Array | Uint32Array | Float64Array>(a: T, size: number, Ctor: new (n: number) => T): T {
  const next = new Ctor(size);
  next.set(a);
  return next;
}
