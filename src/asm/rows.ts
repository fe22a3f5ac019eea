/**
 * Every growable store starts this small: the language checker assembles tens of thousands of
 * one-line bodies, and a large first allocation per call would make the collector's work grow
 * with the square of the file. Big inputs double their way up.
 */
export const INITIAL_ROWS = 16;

/** Slots for a hash table that holds `expected` entries at most half full (a power of two). */
export function hashCapacity(expected: number): number {
  let capacity = INITIAL_ROWS;
  while (capacity < expected * 2) capacity *= 2;
  return capacity;
}

/**
 * A growable table of rows of small integers kept in one typed array. The assembler records
 * something for nearly every source line (what each statement emitted, symbols, fixups); as
 * objects those would be hundreds of thousands of long-lived allocations for the garbage
 * collector to copy around, as rows they are one buffer that doubles when full.
 */
export class IntRows {
  private data: Int32Array;
  /** Number of rows. */
  count = 0;

  constructor(
    /** Fields per row. */
    readonly width: number,
  ) {
    this.data = new Int32Array(width * INITIAL_ROWS);
  }

  /** Appends a row of zeros and returns its index. */
  add(): number {
    if ((this.count + 1) * this.width > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    return this.count++;
  }

  get(row: number, field: number): number {
    return this.data[row * this.width + field]!;
  }

  set(row: number, field: number, value: number): void {
    this.data[row * this.width + field] = value;
  }
}

/**
 * A growable column of 64-bit values (operand values, addends) written at any index: numbers in
 * a typed array where they are exact, which is nearly always, and BigInts aside for the others.
 */
export class ValueColumn {
  private data = new Float64Array(INITIAL_ROWS);
  /** The values that are not exact numbers; their place in `data` holds NaN. */
  private readonly wide = new Map<number, bigint>();

  get(i: number): number | bigint {
    const v = this.data[i] ?? 0;
    return Number.isNaN(v) ? this.wide.get(i)! : v;
  }

  set(i: number, value: number | bigint): void {
    if (i >= this.data.length) {
      let size = this.data.length * 2;
      while (size <= i) size *= 2;
      const grown = new Float64Array(size);
      grown.set(this.data);
      this.data = grown;
    }
    const exact = typeof value === "number" ? value : Number(value);
    if (typeof value === "bigint" && !Number.isSafeInteger(exact)) {
      this.data[i] = NaN;
      this.wide.set(i, value);
    } else this.data[i] = exact;
  }
}
